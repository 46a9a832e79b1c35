// Report text is untrusted: a report (or a file name) can carry terminal escape sequences that
// clear the screen, retitle the window or hide text. Everything the CLI prints from the store
// goes through here.

/**
 * ESC-introduced sequences: CSI (ESC [ … final byte), OSC/DCS/SOS/PM/APC strings (terminated by
 * BEL or ESC \), and two-byte escapes; plus their 8-bit C1 forms (U+009B CSI, U+009D OSC …).
 */
const ESCAPE_SEQUENCE =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
/**
 * What is left after sequences are gone: C0 controls but tab and newline, DEL, C1 controls, and
 * the bidirectional overrides/isolates that make a terminal show text in another order.
 */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text for a file a terminal or spreadsheet may show raw (CSV): every control character kept, but
 * as its code (\x1B, \u202E), so it is inert and still tells the reader it was there.
 */
export function withVisibleControls(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0).toString(16).toUpperCase();
    return c.charCodeAt(0) <= 0xff ? `\\x${code.padStart(2, '0')}` : `\\u${code.padStart(4, '0')}`;
  });
}

/** Text safe to print on a terminal: escape sequences and control characters removed. */
export function forTerminal(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/** A file name on one line of output: also without line breaks, with which a name could forge lines of its own. */
export function fileNameForTerminal(name: string): string {
  return forTerminal(name).replace(/\n/g, '');
}

/**
 * JSON.stringify already writes C0 controls as \u escapes; this does the same for C1 controls
 * and bidi controls, which it leaves raw, so the JSON is unchanged in value but inert on a terminal.
 */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
