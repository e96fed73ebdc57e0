// The embedded data folder has one user at a time: PGlite is single-process, and a second one
// opening the same files (a rebuild beside a running service) fails deep in WebAssembly and may
// damage them. Whoever opens the folder holds DATA_DIR/pglite.lock, naming its pid, until it stops.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const LOCK_FILE = 'pglite.lock';

/** What `npm start` calls itself in the lock file; the CLIs give their command. */
export const SERVICE = 'the service';

/** A lock file that is empty or unreadable this long after it was written was left by a crash. */
const UNREADABLE_GRACE_MS = 5_000;

export class DataFolderInUseError extends Error {
  override readonly name = 'DataFolderInUseError';
  constructor(
    readonly holder: string,
    readonly pid: number | undefined,
    readonly lockFile: string,
  ) {
    super(
      pid === undefined
        ? `another process is opening this data folder (${lockFile} has no pid yet); try again in a moment`
        : holder === SERVICE
          ? `the service is running on this data folder (pid ${pid}); stop it first`
          : `${holder} is using this data folder (pid ${pid}); wait for it to end or stop it`,
    );
  }
}

export interface DataLock {
  readonly file: string;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

interface Holder {
  readonly pid: number;
  readonly holder: string;
  readonly token: string;
}

const readHolder = (file: string): Holder | 'gone' | 'unreadable' => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    if (Number.isInteger(parsed.pid) && typeof parsed.holder === 'string' && typeof parsed.token === 'string') {
      return parsed as Holder;
    }
  } catch {
    // An empty file (its writer is between creating and writing it) or garbage.
  }
  return 'unreadable';
};

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const ageMs = (file: string): number => {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
};

/**
 * Takes the data folder's lock for `holder` (exclusive create), or takes over a stale one whose
 * process no longer runs; throws DataFolderInUseError while a live process holds it (this one too).
 */
export const lockDataFolder = (dataDir: string, holder: string): DataLock => {
  mkdirSync(dataDir, { recursive: true });
  const file = path.resolve(dataDir, LOCK_FILE);
  const mine: Holder = { pid: process.pid, holder, token: randomBytes(12).toString('hex') };
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: 'wx', mode: 0o644 });
      return held(file, mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const current = readHolder(file);
    if (current === 'gone') continue;
    if (current === 'unreadable') {
      if (ageMs(file) < UNREADABLE_GRACE_MS) throw new DataFolderInUseError('another process', undefined, file);
    } else if (isRunning(current.pid)) {
      throw new DataFolderInUseError(current.holder, current.pid, file);
    }
    takeOver(file, current);
  }
  throw new DataFolderInUseError('another process', undefined, file);
};

/**
 * Moves a stale lock aside, atomically: of several processes taking it over at once only one
 * renames the stale file; one that renamed a fresh lock instead (taken meanwhile) puts it back.
 */
const takeOver = (file: string, stale: Holder | 'unreadable'): void => {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readHolder(aside);
  const sameOne =
    stale === 'unreadable'
      ? moved === 'unreadable'
      : moved !== 'gone' && moved !== 'unreadable' && moved.token === stale.token;
  if (!sameOne) {
    // Someone took the lock between our read and our rename: theirs goes back (unless a third
    // process holds it by now), and the next attempt reads whatever is there.
    try {
      linkSync(aside, file);
    } catch {
      // EEXIST: the third process's lock stays.
    }
    unlinkSync(aside);
    return;
  }
  unlinkSync(aside);
};

const held = (file: string, mine: Holder): DataLock => {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const current = readHolder(file);
    if (current !== 'gone' && current !== 'unreadable' && current.token === mine.token) {
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    }
  };
  // A process that exits without stopping its storage (a failed start, process.exit) lets go too.
  process.on('exit', release);
  return { file, release };
};
