// The one kafkajs internal this code touches (kafkajs-idle-loop.ts); kafkajs ships no types for it.
declare module 'kafkajs/src/network/requestQueue/index.js' {
  const RequestQueue: { prototype: { scheduleCheckPendingRequests(): void } };
  export default RequestQueue;
}
