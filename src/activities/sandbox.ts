/**
 * The environment verification commands see (the sandbox itself is ./verify-sandbox.ts): cleared down to a few
 * variables, never a key.
 */

/** The only variables a verification command sees, besides PORT and BASE_URL. */
export function sandboxEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: process.env.LANG ?? 'C.UTF-8',
    CI: '1',
    // npm start must not ask the registry whether a newer npm exists: there is no network.
    npm_config_update_notifier: 'false',
  };
}
