export * from './assignment';
export * from './transfer';
export * from './requeue';
export * from './end';
import { assignment } from './assignment';
import { end } from './end';
import { requeue } from './requeue';
import { transfer } from './transfer';

/** The workflows of the chat, run by the worker role. */
export const WORKFLOWS = [assignment, transfer, requeue, end] as const;
