/**
 * What the configuration panel reads out of the app's text: the located findings of a save it
 * refused and of the runtime's warnings, and the dates of the saved versions.
 */

/** One finding, where it is in the configuration. Line and column count from 1. */
export interface Located {
  line: number;
  column: number;
  message: string;
  severity: "error" | "warning";
}

// `<file>:<line>:<column>: <severity>: <path>: <message>` as stagecraft-template's `Diagnostic`
// prints it (the file may hold spaces: `ted1bc4 configuration v1.2`); the shortest file wins, so
// a `:` inside it (a Windows path, `C:\…`) is not taken for the line.
const LOCATED = /^(.*?):(\d+):(\d+): (error|warning): (.*)$/;

/**
 * Every located finding in `text`, in its order: a refusal holds one a line, a warning is one.
 * A line that is not located carries on the finding above it (a message over several lines);
 * before the first finding it is no finding. Line or column 0 (a key the app wrote, with no
 * place in the text) counts as 1.
 */
export function parseDiagnostics(text: string): Located[] {
  const found: Located[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = LOCATED.exec(line);
    if (match) {
      found.push({
        line: Math.max(1, Number(match[2])),
        column: Math.max(1, Number(match[3])),
        severity: match[4] === "warning" ? "warning" : "error",
        message: match[5] ?? "",
      });
    } else if (line.trim() !== "" && found.length > 0) {
      const last = found[found.length - 1] as Located;
      last.message = `${last.message}\n${line}`;
    }
  }
  return found;
}

/** "line 12, column 5: services[0].replicas: `x` is not a number" */
export function describeLocated(located: Located): string {
  return `line ${located.line}, column ${located.column}: ${located.message}`;
}

// The store keeps UTC, as RFC 3339 (`2026-12-04T15:20:00.000Z`) or SQLite's own
// `2026-12-04 15:20:00`, which names no zone and is UTC too.
const NO_ZONE = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/**
 * When a version was saved, in the reader's own time zone: "4 Dec 2026, 15:20" (en-GB).
 * `locale` and `timeZone` default to the system's; a text that is no date is shown as it is.
 */
export function savedAt(createdAt: string, locale?: string, timeZone?: string): string {
  const text = createdAt.trim();
  const date = new Date(NO_ZONE.test(text) ? `${text.replace(" ", "T")}Z` : text);
  if (Number.isNaN(date.getTime())) return createdAt;
  return new Intl.DateTimeFormat(locale, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(timeZone === undefined ? {} : { timeZone }),
  }).format(date);
}
