/**
 * Where Temporal is, for both the worker and the client: the standard environment configuration
 * (`@temporalio/envconfig`: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE and
 * the TOML profile file), so the same settings work with the dev server, docker compose and Temporal Cloud.
 */
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { ConfigError } from '../shared/errors';
import { splitHostPort, tcpConnectError } from '../temporal/net';
import { DEFAULT_TEMPORAL_ADDRESS, errorChainText } from '../temporal/reachability';

export { DEFAULT_TEMPORAL_ADDRESS };
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

export interface TemporalConfigOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Profile in the TOML config file; defaults to TEMPORAL_PROFILE, then "default". */
  profile?: string;
}

export interface TemporalTarget<O> {
  connectionOptions: O & { address: string };
  namespace: string;
}

/** Options for `NativeConnection.connect` (workers). */
export function workerConnectConfig(options: TemporalConfigOptions = {}): TemporalTarget<NativeConnectionOptions> {
  const loaded = load(options);
  return {
    connectionOptions: {
      ...loaded.connectionOptions,
      address: loaded.connectionOptions.address || DEFAULT_TEMPORAL_ADDRESS,
    },
    namespace: loaded.namespace || DEFAULT_TEMPORAL_NAMESPACE,
  };
}

/** Options for `Connection.connect` (clients). */
export function clientConnectConfig(options: TemporalConfigOptions = {}): TemporalTarget<ConnectionOptions> {
  const { connectionOptions: o, namespace } = workerConnectConfig(options);
  return {
    connectionOptions: { address: o.address, tls: o.tls, apiKey: o.apiKey, metadata: o.metadata },
    namespace,
  };
}

export async function connectClient(
  options: TemporalConfigOptions = {},
): Promise<{ connection: Connection; namespace: string }> {
  const { connectionOptions, namespace } = clientConnectConfig(options);
  await assertTcpReachable(connectionOptions);
  try {
    return { connection: await Connection.connect(connectionOptions), namespace };
  } catch (err) {
    throw unreachable(connectionOptions, errorChainText(err), err);
  }
}

export async function connectWorker(
  options: TemporalConfigOptions = {},
): Promise<{ connection: NativeConnection; namespace: string }> {
  const { connectionOptions, namespace } = workerConnectConfig(options);
  await assertTcpReachable(connectionOptions);
  try {
    return { connection: await NativeConnection.connect(connectionOptions), namespace };
  } catch (err) {
    throw unreachable(connectionOptions, errorChainText(err), err);
  }
}

/** For logs: the address, namespace and security mode, never the key itself. */
export function describeTemporalTarget(target: TemporalTarget<ConnectionOptions | NativeConnectionOptions>): string {
  const { address, tls, apiKey } = target.connectionOptions;
  const security = [tls ? 'TLS' : 'plaintext', ...(apiKey ? ['API key'] : [])].join(', ');
  return `${address} (namespace ${target.namespace}, ${security})`;
}

function load(options: TemporalConfigOptions): { connectionOptions: NativeConnectionOptions; namespace?: string } {
  try {
    return loadClientConnectConfig({
      profile: options.profile,
      overrideEnvVars: definedOnly(options.env ?? process.env),
    });
  } catch (err) {
    throw new ConfigError(`Invalid Temporal connection settings: ${errorChainText(err)}`, { cause: err });
  }
}

/**
 * A plain TCP connect says "refused" at once, where a fresh gRPC channel would wait out its whole connect timeout.
 * TLS and API keys are then checked by the real connect.
 */
async function assertTcpReachable(connectionOptions: ConnectionOptions & { address: string }): Promise<void> {
  const { host, port } = splitHostPort(connectionOptions.address);
  const err = await tcpConnectError(host, port, 3000);
  if (err) throw unreachable(connectionOptions, errorChainText(err), err);
}

function unreachable(connectionOptions: ConnectionOptions & { address: string }, reason: string, cause?: unknown) {
  const key = typeof connectionOptions.apiKey === 'string' ? connectionOptions.apiKey : undefined;
  const safeReason = key ? reason.split(key).join('***') : reason;
  return new ConfigError(
    `Cannot reach Temporal at ${connectionOptions.address}: ${safeReason}. ` +
      'Start one with `npm run temporal` or set TEMPORAL_ADDRESS.',
    { cause },
  );
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
