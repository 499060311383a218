// How the log view filters, colours and windows its lines: plain functions, tested alone.
import Anser from "anser";
import type { LogLineView } from "../../../ipc";

export type LevelFilter = "all" | "warnings" | "errors";

const ERROR = /\b(error|err|fatal|panic|exception|failed)\b/i;
const WARNING = /\b(warn|warning)\b/i;

/** A line's level as a reader would judge it: stderr and error words are errors. */
export function level(line: LogLineView): "error" | "warning" | "info" {
  const text = line.line.includes("\u001b[") ? plain(line.line) : line.line;
  if (ERROR.test(text)) return "error";
  if (WARNING.test(text)) return "warning";
  return line.stderr ? "warning" : "info";
}

/** Whether `line` passes the search (case-insensitive, ANSI codes ignored) and the level. */
export function matches(line: LogLineView, query: string, filter: LevelFilter): boolean {
  if (filter === "errors" && level(line) !== "error") return false;
  if (filter === "warnings" && level(line) === "info") return false;
  if (query === "") return true;
  return plain(line.line).toLowerCase().includes(query.toLowerCase());
}

/** The text without its ANSI escape codes. */
export function plain(text: string): string {
  return Anser.ansiToText(text);
}

/** A run of text in one colour: `className` is `ansi-red`, `ansi-bright-green`, … or "". */
export interface Segment {
  text: string;
  className: string;
}

/** The coloured runs of a line; the text is never interpreted as HTML. */
export function segments(text: string): Segment[] {
  if (!text.includes("\u001b[")) return [{ text, className: "" }];
  return Anser.ansiToJson(text, { json: true, use_classes: true, remove_empty: true }).map(
    (entry) => ({
      text: entry.content,
      className: [
        entry.fg ? `${entry.fg}-fg` : "",
        entry.decorations.includes("bold") ? "ansi-bold" : "",
      ]
        .filter(Boolean)
        .join(" "),
    }),
  );
}

/** Which rows of a list of `total` rows of `rowHeight` px to draw for a viewport. */
export function visibleRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  overscan = 10,
): { start: number; end: number } {
  const first = Math.floor(scrollTop / rowHeight);
  const count = Math.ceil(viewport / rowHeight);
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(total, first + count + overscan),
  };
}
