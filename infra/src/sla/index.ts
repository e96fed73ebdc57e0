export { SlaMonitor, type SlaCandidate, type SlaMonitorOptions } from './monitor';
