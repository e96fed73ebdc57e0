export * from './router';
export * from './requests';
