/**
 * A strict little XML reader for the report tests: throws on anything not well-formed (unbalanced or crossed tags,
 * unquoted or duplicate attributes, bare `<` or `&`, forbidden control characters, content after the root) and
 * returns the element tree so tests can look inside the SVG. Enough for SVG we write; not a general parser.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function checkText(s: string, where: number): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s)) throw new Error(`control character near offset ${where}`);
  if (s.replace(ENTITY, '').includes('&')) throw new Error(`bare & near offset ${where}`);
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const skipProlog = /^\s*<\?xml[^?]*\?>/.exec(xml);
  if (skipProlog) i = skipProlog[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim()) throw new Error(`text outside the root at offset ${i}`);
    checkText(text, i);
    const top = stack.at(-1);
    if (top) top.text += text;
    if (lt < 0) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', lt);
    if (gt < 0) throw new Error(`unterminated tag at offset ${lt}`);
    const tag = xml.slice(lt + 1, gt);
    if (tag.includes('<')) throw new Error(`bare < inside a tag at offset ${lt}`);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open || open.name !== name)
        throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at offset ${lt}`);
      if (stack.length === 0) root = open;
    } else {
      if (root) throw new Error(`second root at offset ${lt}`);
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const name = NAME.exec(body)?.[0];
      if (!name) throw new Error(`bad tag name at offset ${lt}`);
      const el: XmlElement = { name, attrs: parseAttrs(body.slice(name.length), lt), children: [], text: '' };
      stack.at(-1)?.children.push(el);
      if (selfClosing) {
        if (stack.length === 0) root = el;
      } else stack.push(el);
    }
    i = gt + 1;
  }
  if (stack.length) throw new Error(`<${stack.at(-1)?.name}> never closed`);
  if (!root) throw new Error('no root element');
  return root;
}

function parseAttrs(s: string, at: number): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
  let pos = 0;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const [, key, , dq, sq] = m;
    if (!key || key in attrs) throw new Error(`duplicate or bad attribute ${key ?? ''} at offset ${at}`);
    const value = dq ?? sq ?? '';
    checkText(value, at);
    attrs[key] = value;
    pos = re.lastIndex;
  }
  if (s.slice(pos).trim())
    throw new Error(`bad attribute syntax "${s.slice(pos).trim().slice(0, 30)}" at offset ${at}`);
  return attrs;
}

/** Every element below `el` (depth first) that matches. */
export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (pred(e)) out.push(e);
    e.children.forEach(walk);
  };
  walk(el);
  return out;
}
