// The gateway's metrics in a prom-client registry (the one of infra's createMetrics()).
import { Counter, Gauge, type Registry } from 'prom-client';
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
  return {
    connectionOpened: (kind) => connections.inc({ kind }),
    connectionClosed: (kind) => connections.dec({ kind }),
    frameIn: (kind, type) => framesIn.inc({ kind, type }),
    frameRefused: (kind, code) => framesRefused.inc({ kind, code }),
    frameOut: (kind, type) => framesOut.inc({ kind, type }),
  };
};
