// The window's strict CSP (`style-src 'self'`) refuses a `<style>` element written at run
// time unless it carries the nonce Tauri gives the page's own inline style (index.html has one
// for this). Libraries that write their styles at run time (CodeMirror, xterm.js) get it here.

/** The page's style nonce; none outside the app (tests, a plain browser). */
export function styleNonce(): string | undefined {
  const own = document.querySelector<HTMLStyleElement>("style[nonce]");
  return own?.nonce || undefined;
}

/**
 * Runs `work`, giving each `<style>` element it creates the page's nonce before it is filled.
 * For a library with no nonce option (xterm.js writes its colours into a style element it
 * makes and fills in one go, while it opens).
 */
export function withStyleNonce<T>(work: () => T): T {
  const nonce = styleNonce();
  if (nonce === undefined) return work();
  const create = Document.prototype.createElement;
  const own = Object.getOwnPropertyDescriptor(document, "createElement");
  // An own property of this document only, for the time of `work`; the prototype is left as is.
  Object.defineProperty(document, "createElement", {
    configurable: true,
    value(this: Document, tag: string, options?: ElementCreationOptions) {
      const element = create.call(this, tag, options);
      if (element instanceof HTMLStyleElement) element.nonce = nonce;
      return element;
    },
  });
  try {
    return work();
  } finally {
    if (own) Object.defineProperty(document, "createElement", own);
    else delete (document as unknown as Record<string, unknown>).createElement;
  }
}
