/**
 * Disk faults, classified: a full disk (ENOSPC, EDQUOT) is a retryable DiskFullError (space may come back), a
 * read-only file system (EROFS) a ReadOnlyDiskError. Files people read (the report) are written to a temporary file
 * and renamed into place, so a full disk leaves the previous file or none, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { AgentSystemError, DiskError, DiskFullError, GitCommandError, ReadOnlyDiskError } from '../shared/errors';

/** Below this much free space a workspace takes no new Codex call or verification: they would fail half-way. */
export const MIN_FREE_BYTES = 1024 * 1024;

const FULL = /No space left on device|Disk quota exceeded|ENOSPC|EDQUOT/i;
const READ_ONLY = /Read-only file system|EROFS/;

/** The disk fault an error stands for (an errno, or what git said), or undefined when it is none. */
export function diskFault(
  err: unknown,
  what: string,
  file: string,
  /** What helps a full disk; activities are retried by Temporal. */
  fullHint = 'retried when space is freed',
): AgentSystemError | undefined {
  if (err instanceof DiskError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const text = err instanceof GitCommandError ? err.stderr : err instanceof Error ? err.message : '';
  if (code === 'ENOSPC' || code === 'EDQUOT' || FULL.test(text)) {
    return new DiskFullError(`${what}: the disk of ${file} is full (ENOSPC); ${fullHint}`, file, { cause: err });
  }
  if (code === 'EROFS' || READ_ONLY.test(text)) {
    return new ReadOnlyDiskError(`${what}: ${file} is on a read-only file system (EROFS)`, file, { cause: err });
  }
  return undefined;
}

/** Runs `fn`; a disk fault it meets leaves as its classified error, anything else as it was. */
export async function classifyDiskFaults<T>(what: string, file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw diskFault(err, what, file) ?? err;
  }
}

/** Before work that writes into `dir`: a read-only or (nearly) full disk fails now, classified, not half-way. */
export async function assertWritable(dir: string, what: string): Promise<void> {
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    const fault = diskFault(err, what, dir);
    if (fault) throw fault;
    return; // missing or not ours: the caller's own checks say so
  }
  const s = await statfs(dir).catch(() => undefined);
  if (s && s.bavail * s.bsize < MIN_FREE_BYTES) {
    throw new DiskFullError(
      `${what}: the disk of ${dir} has ${s.bavail * s.bsize} bytes free (under ${MIN_FREE_BYTES}); ` +
        'retried when space is freed',
      dir,
    );
  }
}

/** Writes `file` whole or not at all: a temporary file beside it, renamed into place. */
export async function writeFileAtomic(file: string, data: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw diskFault(err, `Cannot write ${file}`, file, 'free space and write it again') ?? err;
  }
}
