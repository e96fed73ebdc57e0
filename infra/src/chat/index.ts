export * from './service';
export * from './followups';
