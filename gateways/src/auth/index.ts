export * from './passwords';
export * from './tokens';
export * from './password-policy';
export * from './throttle';
