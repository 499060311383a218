// How the log view filters, colours and windows its lines: plain functions, tested alone.
import Anser from "anser";
import type { LogLineView } from "../../../ipc";

export type LevelFilter = "all" | "warnings" | "errors" | "stderr";

/** The level select's choices. */
export const LEVEL_FILTERS: [LevelFilter, string][] = [
  ["all", "All lines"],
  ["warnings", "Warnings and errors"],
  ["errors", "Errors"],
  ["stderr", "Standard error"],
];

/** What the view says when the search and the level leave no line of a log that has some. */
export function noMatch(query: string, filter: LevelFilter): string {
  const says: Record<LevelFilter, [string, string]> = {
    all: ["No line matches.", ""],
    warnings: ["No warnings or errors.", " among warnings and errors"],
    errors: ["No errors.", " among errors"],
    stderr: ["Nothing on standard error.", " on standard error"],
  };
  const [none, among] = says[filter];
  return query === "" ? none : `No line matches “${query}”${among}.`;
}

const ERROR = /\b(error|err|fatal|panic|exception|failed)\b/i;
const WARNING = /\b(warn|warning)\b/i;

/**
 * A line's level as a reader would judge it, from its words alone: many programs write their
 * ordinary progress to stderr, so the stream says nothing about it.
 */
export function level(line: LogLineView): "error" | "warning" | "info" {
  const text = plain(line.line);
  if (ERROR.test(text)) return "error";
  if (WARNING.test(text)) return "warning";
  return "info";
}

/** Whether `line` passes the search (case-insensitive, ANSI codes ignored) and the level. */
export function matches(line: LogLineView, query: string, filter: LevelFilter): boolean {
  if (filter === "stderr" && !line.stderr) return false;
  if (filter === "errors" && level(line) !== "error") return false;
  if (filter === "warnings" && level(line) === "info") return false;
  if (query === "") return true;
  return plain(line.line).toLowerCase().includes(query.toLowerCase());
}

/** The text without its ANSI escape codes. */
export function plain(text: string): string {
  return text.includes("\u001b[") ? Anser.ansiToText(text) : text;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A line's time (`at`, UTC from the store) as local `HH:MM:SS.mmm`; "" if it does not read. */
export function clock(at: string): string {
  const t = new Date(at);
  if (at === "" || Number.isNaN(t.getTime())) return "";
  const hms = [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => pad(n)).join(":");
  return `${hms}.${pad(t.getMilliseconds(), 3)}`;
}

/** The lines as plain text, one a row, each after its time if `times`: what Copy and Download
 *  give. */
export function logText(lines: LogLineView[], times: boolean): string {
  const rows = lines.map((l) => (times ? `${clock(l.at)} ${plain(l.line)}` : plain(l.line)));
  return rows.length === 0 ? "" : `${rows.join("\n")}\n`;
}

/**
 * A kept log's name as a reader says it, from its resource (see `log_kind` in the api):
 * `ted1bc4/services.web` is "Service web", `ted1bc4/12/jobs.migrate` "Job migrate · deploy #12",
 * `builds/3/web` "Build web · build #3". Any other name is shown as it is.
 */
export function logTitle(resource: string): string {
  const build = /^builds\/(\d+)\/(.+)$/.exec(resource);
  if (build) return `Build ${build[2]} · build #${build[1]}`;
  const service = /^[^/]+\/services\.(.+)$/.exec(resource);
  if (service) return `Service ${service[1]}`;
  const job = /^[^/]+\/(\d+)\/jobs\.(.+)$/.exec(resource);
  if (job) return `Job ${job[2]} · deploy #${job[1]}`;
  return resource;
}

/** The file Download saves: `job-migrate-deploy-12-2026-11-26.log` (the local date). */
export function logFileName(title: string, now: Date): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  return `${slug || "log"}-${date}.log`;
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
