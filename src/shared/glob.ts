/**
 * Path globs of team files (`changes: ["src/**"]`): `**` any depth (also none), `*` within one path segment, `?` one
 * character; a glob without a slash or wildcard names a file or a folder and everything in it. Pure: workflows use it.
 */
export function globToRegExp(glob: string): RegExp {
  const g = glob.replace(/^\.\//, '').replace(/\/$/, '/**');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i] ?? '';
    if (c === '*' && g[i + 1] === '*') {
      // `a/**/b` matches a/b too; a trailing `**` matches everything below.
      const slash = g[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return /[*?]/.test(g) ? new RegExp(`^${re}$`) : new RegExp(`^${re}(?:/.*)?$`);
}

/** The groups of globs (alternatives) no path matches, each as `a or b`. */
export function unmatchedGlobs(groups: readonly (readonly string[])[], paths: readonly string[]): string[] {
  return groups
    .filter((globs) => {
      const res = globs.map(globToRegExp);
      return !paths.some((p) => res.some((re) => re.test(p)));
    })
    .map((globs) => globs.join(' or '));
}
