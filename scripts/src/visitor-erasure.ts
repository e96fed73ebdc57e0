// The visitor erasure's wiring, shared by the service (app.ts) and `npm run erase`: the same key
// store, read models, files, outbox and audit, so that an operator's erasure is the admin's.
import * as path from 'node:path';
import {
  byteaContent,
  CompanyConfigStore,
  createAttachmentStore,
  createWebhookStore,
  DEFAULT_ATTACHMENT_SCHEMA,
  DEFAULT_COMPANY_CONFIG_SCHEMA,
  DEFAULT_REDO_AFTER_MS,
  diskContent,
  VisitorErasure,
  type AttachmentStore,
  type Config,
  type Logger,
  type WebhookStore,
} from '@cschat/infra';
import { prepareErasureLedger, readModelErasure, visitorsPastRetention } from '@cschat/projections';
import { isLeft } from 'fp-ts/Either';
import type { Storage } from './storage';

/** Files: metadata beside the read models; bytes on disk when embedded (one process owns DATA_DIR), in PostgreSQL otherwise. */
export const attachmentStoreOf = (config: Config, storage: Storage): AttachmentStore =>
  createAttachmentStore({
    knex: storage.readModels,
    schema: DEFAULT_ATTACHMENT_SCHEMA,
    content: storage.embedded
      ? diskContent(path.resolve(config.dataDir, 'attachments'))
      : byteaContent(storage.readModels, DEFAULT_ATTACHMENT_SCHEMA),
  });

export interface VisitorErasureParts {
  readonly storage: Storage;
  readonly companies: CompanyConfigStore;
  readonly attachments: AttachmentStore;
  readonly webhooks: WebhookStore;
  readonly logger: Logger;
}

/**
 * What the command-line erasures (`npm run erase`, `npm run restore`) open over an opened Storage:
 * the stores an erasure touches and the erasure itself, started after the storage and the company
 * store (whose start runs the migrations) and stopped together, the storage last.
 */
export const erasureToolsOf = (config: Config, storage: Storage, logger: Logger) => {
  const companies = new CompanyConfigStore({ knex: storage.readModels, ownsKnex: false, hashPassword: async () => '' });
  const attachments = attachmentStoreOf(config, storage);
  const webhooks = createWebhookStore({ knex: storage.readModels });
  const erasure = visitorErasureOf({ storage, companies, attachments, webhooks, logger });
  return {
    companies,
    erasure,
    /** Once the storage and `companies` have started: the other stores, the keys and the erasure ledger. */
    startRest: async (): Promise<void> => {
      await attachments.start();
      await webhooks.start();
      await storage.keys.start();
      await prepareErasureLedger(storage.readModels, storage.readModelSchema);
    },
    stop: async (): Promise<void> => {
      await erasure.stop();
      await storage.keys.stop();
      await attachments.stop();
      await webhooks.stop();
      await companies.stop();
      await storage.stop();
    },
  };
};

export const visitorErasureOf = (parts: VisitorErasureParts): VisitorErasure =>
  new VisitorErasure({
    keyStore: parts.storage.keys,
    // Past the key cache of every process (KEY_CACHE_MS), with room for a projector's batch read just before.
    redoAfterMs: Math.max(DEFAULT_REDO_AFTER_MS, 2 * parts.storage.keys.cacheMs + 1_000),
    readModels: readModelErasure(parts.storage.readModels, parts.storage.readModelSchema),
    attachments: parts.attachments,
    webhooks: parts.webhooks,
    credentials: parts.companies.visitorCredentials,
    // The audit line: counts only, never what was erased.
    audit: async (subject, actor, report) => {
      const recorded = await parts.companies.recordVisitorErasure(subject.companyId, actor, subject.visitorId, {
        alreadyErased: report.alreadyErased,
        rowsErased: report.rowsErased,
        filesDeleted: report.filesDeleted,
      });
      if (isLeft(recorded)) throw new Error(`the audit of the erasure was refused: ${recorded.left.message}`);
    },
    logger: parts.logger,
  });

/** The retention job's candidates: across companies, by their `retentionDays`. */
export const retentionCandidatesOf = (storage: Storage) => (now: Date, limit: number) =>
  visitorsPastRetention(storage.readModels, {
    schema: storage.readModelSchema,
    configSchema: DEFAULT_COMPANY_CONFIG_SCHEMA,
    now,
    limit,
  });
