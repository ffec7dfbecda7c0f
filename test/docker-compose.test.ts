/**
 * docker-compose.yml is for users with Docker; there is no Docker engine here, so its shape is checked instead:
 * the services, pinned images, published ports and start-up order the docs promise.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { z } from 'zod';

const Service = z.object({
  image: z.string(),
  ports: z.array(z.string()).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  command: z.array(z.string()).optional(),
});
const Compose = z.object({ services: z.record(z.string(), Service), volumes: z.record(z.string(), z.unknown()) });

const compose = Compose.parse(parse(readFileSync(path.join(__dirname, '..', 'docker-compose.yml'), 'utf8')));
const service = (name: string): z.infer<typeof Service> => {
  const s = compose.services[name];
  assert.ok(s, `service ${name} exists`);
  return s;
};

describe('docker-compose.yml', () => {
  it('has PostgreSQL, the schema job, the server, admin tools and the Web UI', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'postgresql',
      'temporal',
      'temporal-admin-tools',
      'temporal-schema',
      'temporal-ui',
    ]);
  });

  it('pins official images (no :latest)', () => {
    const images = Object.fromEntries(Object.entries(compose.services).map(([name, s]) => [name, s.image]));
    assert.match(images.postgresql ?? '', /^postgres:\d+$/);
    assert.match(images.temporal ?? '', /^temporalio\/server:\d+\.\d+\.\d+$/);
    assert.match(images['temporal-schema'] ?? '', /^temporalio\/admin-tools:\d+\.\d+\.\d+$/);
    assert.equal(images['temporal-admin-tools'], images['temporal-schema']);
    assert.match(images['temporal-ui'] ?? '', /^temporalio\/ui:\d+\.\d+\.\d+$/);
    // Admin tools and server from the same release: the schema must match the server.
    assert.equal(images.temporal?.split(':')[1], images['temporal-schema']?.split(':')[1]);
  });

  it('publishes gRPC on 7233 and the Web UI on 8233, and nothing else', () => {
    assert.deepEqual(service('temporal').ports, ['7233:7233']);
    assert.deepEqual(service('temporal-ui').ports, ['8233:8080']);
    for (const name of ['postgresql', 'temporal-schema', 'temporal-admin-tools']) {
      assert.equal(service(name).ports, undefined, `${name} publishes no port`);
    }
  });

  it('points the server at PostgreSQL and the UI and tools at the server', () => {
    assert.equal(service('temporal').environment?.DB, 'postgres12');
    assert.equal(service('temporal').environment?.POSTGRES_SEEDS, 'postgresql');
    assert.equal(service('temporal-ui').environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(service('temporal-admin-tools').environment?.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.ok(compose.volumes['temporal-postgres'] !== undefined, 'the database lives in a named volume');
  });

  it('starts in order: database healthy, schema done, server healthy, then UI and namespace', () => {
    assert.deepEqual(service('temporal-schema').depends_on, { postgresql: { condition: 'service_healthy' } });
    assert.deepEqual(service('temporal').depends_on, {
      'temporal-schema': { condition: 'service_completed_successfully' },
    });
    assert.deepEqual(service('temporal-ui').depends_on, { temporal: { condition: 'service_healthy' } });
    assert.match(service('temporal-admin-tools').command?.join('\n') ?? '', /namespace create -n default/);
  });
});
