/** HTML-escaped text; `Html` values are trusted markup built by the page and chart functions. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[char] ?? char,
  );

export type Part = Html | string | number | undefined | null | false | readonly Part[];

const render = (part: Part): string =>
  part === undefined || part === null || part === false
    ? ""
    : part instanceof Html
      ? part.value
      : Array.isArray(part)
        ? part.map(render).join("")
        : escapeHtml(String(part));

/** A template literal whose interpolations are escaped unless they are Html (also for SVG). */
export const html = (strings: TemplateStringsArray, ...parts: Part[]): Html =>
  new Html(
    strings.reduce((out, text, index) => out + text + (index < parts.length ? render(parts[index]) : ""), ""),
  );
