// Prometheus metrics of this process (prom-client), in one registry that /metrics will serve.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const createMetrics = () => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    relayedEvents: new Counter({
      name: 'cschat_relayed_events_total',
      help: 'Events the relay published to the bus',
      registers: [registry],
    }),
    relayLagSeconds: new Gauge({
      name: 'cschat_relay_lag_seconds',
      help: 'Age of the last event the relay published when it published it',
      registers: [registry],
    }),
    projectorLagSeconds: new Gauge({
      name: 'cschat_projector_lag_seconds',
      help: 'Age of the last event a projector applied when it applied it',
      labelNames: ['projection'],
      registers: [registry],
    }),
    assignments: new Counter({
      name: 'cschat_routing_assignments_total',
      help: 'Sessions the router assigned to an agent',
      registers: [registry],
    }),
    timedOutSessions: new Counter({
      name: 'cschat_sessions_timed_out_total',
      help: 'Sessions the timeout worker ended for inactivity',
      registers: [registry],
    }),
    slaBreaches: new Counter({
      name: 'cschat_sla_breaches_total',
      help: 'Service-level targets the SLA monitor found passed, by target (firstResponse, wait)',
      labelNames: ['target'],
      registers: [registry],
    }),
    parkedEvents: new Counter({
      name: 'cschat_projection_parked_events_total',
      help: 'Events a projector could not read and parked',
      labelNames: ['projection'],
      registers: [registry],
    }),
  };
};

export type Metrics = ReturnType<typeof createMetrics>;
