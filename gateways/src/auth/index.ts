export * from './passwords';
export * from './tokens';
export * from './revocation';
export * from './password-policy';
export * from './throttle';
