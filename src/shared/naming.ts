/** Names derived from task lists: workflow ids and the one-line summaries shown in the Web UI. */

/** The project's name: a quoted name ("Bug Busters"), else the Goal line, else the first line. */
export function projectName(taskList: string): string {
  const quoted = /called\s+"([^"]{2,60})"/i.exec(taskList) ?? /"([^"]{2,60})"/.exec(taskList);
  if (quoted?.[1]) return quoted[1].trim();
  const goal = /^\s*goal:\s*(.+)$/im.exec(taskList);
  const first = goal?.[1] ?? taskList.trim().split('\n')[0] ?? 'project';
  return first
    .replace(/^#+\s*/, '')
    .trim()
    .slice(0, 60);
}

export function slugify(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'run'
  );
}
