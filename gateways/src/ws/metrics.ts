// The gateway's metrics in a prom-client registry (the one of infra's createMetrics()).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { GatewayMetrics } from './ports';

/** Registers the metrics once per registry: two gateways on one registry share them. */
const metric = <M>(registry: Registry, name: string, create: () => M): M =>
  (registry.getSingleMetric(name) as M | undefined) ?? create();

export const prometheusGatewayMetrics = (registry: Registry): GatewayMetrics => {
  const registers = [registry];
  const connections = metric(
    registry,
    'cschat_ws_connections',
    () => new Gauge({ name: 'cschat_ws_connections', help: 'Open websockets', labelNames: ['kind'], registers }),
  );
  const framesIn = metric(
    registry,
    'cschat_ws_frames_in_total',
    () =>
      new Counter({
        name: 'cschat_ws_frames_in_total',
        help: 'Client frames received, by type (`invalid` when it did not decode)',
        labelNames: ['kind', 'type'],
        registers,
      }),
  );
  const framesRefused = metric(
    registry,
    'cschat_ws_frames_refused_total',
    () =>
      new Counter({
        name: 'cschat_ws_frames_refused_total',
        help: 'Client frames answered with an error before any handler saw them, by code',
        labelNames: ['kind', 'code'],
        registers,
      }),
  );
  const framesOut = metric(
    registry,
    'cschat_ws_frames_out_total',
    () =>
      new Counter({
        name: 'cschat_ws_frames_out_total',
        help: 'Server frames sent, by type',
        labelNames: ['kind', 'type'],
        registers,
      }),
  );
  const handled = metric(
    registry,
    'cschat_command_seconds',
    () =>
      new Histogram({
        name: 'cschat_command_seconds',
        help: 'Time from a client frame to its answer (the command it carried), by frame type and outcome',
        labelNames: ['kind', 'type', 'outcome'],
        buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers,
      }),
  );
  return {
    connectionOpened: (kind) => connections.inc({ kind }),
    connectionClosed: (kind) => connections.dec({ kind }),
    frameIn: (kind, type) => framesIn.inc({ kind, type }),
    frameRefused: (kind, code) => framesRefused.inc({ kind, code }),
    frameOut: (kind, type) => framesOut.inc({ kind, type }),
    frameHandled: (kind, type, outcome, seconds) => handled.observe({ kind, type, outcome }, seconds),
  };
};
