// Renders a ticket description (structured blocks) in each ALM's format. Text is escaped for each
// format so finding data (package names, paths) cannot inject markup.
import type { Block, Inline } from "./types.js";

type Span = { text: string; href?: string; code?: boolean; strong?: boolean };
const span = (i: Inline): Span => (typeof i === "string" ? { text: i } : i);

// ---- Atlassian Document Format (Jira Cloud v3) ----

type AdfMark = { type: "link"; attrs: { href: string } } | { type: "code" } | { type: "strong" };
type AdfText = { type: "text"; text: string; marks?: AdfMark[] };
export type AdfNode =
  | AdfText
  | { type: "paragraph"; content: AdfText[] }
  | { type: "heading"; attrs: { level: number }; content: AdfText[] }
  | { type: "bulletList"; content: { type: "listItem"; content: { type: "paragraph"; content: AdfText[] }[] }[] }
  | { type: "codeBlock"; content: AdfText[] };
export interface AdfDoc {
  type: "doc";
  version: 1;
  content: AdfNode[];
}

function adfInline(content: Inline[]): AdfText[] {
  return content
    .map(span)
    .filter((s) => s.text !== "") // ADF rejects empty text nodes
    .map((s) => {
      const marks: AdfMark[] = [];
      if (s.href) marks.push({ type: "link", attrs: { href: s.href } });
      if (s.code) marks.push({ type: "code" });
      if (s.strong) marks.push({ type: "strong" });
      return marks.length ? { type: "text", text: s.text, marks } : { type: "text", text: s.text };
    });
}

export function toAdf(blocks: Block[]): AdfDoc {
  const content: AdfNode[] = blocks.map((b): AdfNode => {
    switch (b.kind) {
      case "heading":
        return { type: "heading", attrs: { level: b.level }, content: adfInline([b.text]) };
      case "paragraph":
        return { type: "paragraph", content: adfInline(b.content) };
      case "list":
        return {
          type: "bulletList",
          content: b.items.map((item) => ({ type: "listItem", content: [{ type: "paragraph", content: adfInline(item) }] })),
        };
      case "code":
        return { type: "codeBlock", content: adfInline([b.text]) };
    }
  });
  return { type: "doc", version: 1, content };
}

/** A single paragraph of plain text as ADF (comments). */
export function adfText(text: string): AdfDoc {
  return toAdf(text.split(/\n{2,}/).map((p) => ({ kind: "paragraph", content: [p] })));
}

// ---- Jira wiki markup (Data Center v2) ----

const escapeWiki = (s: string) => s.replace(/([{}[\]*_+^~|!#-])/g, "\\$1");

function wikiInline(content: Inline[]): string {
  return content
    .map(span)
    .map((s) => {
      if (s.href) return `[${escapeWiki(s.text)}|${s.href.replace(/[|\]]/g, encodeURIComponent)}]`;
      if (s.code) return `{{${s.text.replace(/[{}]/g, "\\$&")}}}`;
      if (s.strong) return `*${escapeWiki(s.text)}*`;
      return escapeWiki(s.text);
    })
    .join("");
}

export function toJiraWiki(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case "heading":
          return `h${b.level}. ${escapeWiki(b.text)}`;
        case "paragraph":
          return wikiInline(b.content);
        case "list":
          return b.items.map((i) => `* ${wikiInline(i)}`).join("\n");
        case "code":
          return `{noformat}\n${b.text.replace(/\{noformat\}/g, "")}\n{noformat}`;
      }
    })
    .join("\n\n");
}

// ---- Markdown (GitLab, GitHub) ----

/** encodeURIComponent leaves ( ) alone, which would end a Markdown link target early. */
const percentEncode = (c: string) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");

const escapeMd = (s: string) => s.replace(/([\\`*_{}[\]()#+\-.!|<>~])/g, "\\$1");

function mdInline(content: Inline[]): string {
  return content
    .map(span)
    .map((s) => {
      if (s.href) return `[${escapeMd(s.text)}](${s.href.replace(/[()\s]/g, percentEncode)})`;
      if (s.code) return s.text.includes("`") ? `\`\` ${s.text} \`\`` : `\`${s.text}\``;
      if (s.strong) return `**${escapeMd(s.text)}**`;
      return escapeMd(s.text);
    })
    .join("");
}

export function toMarkdown(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case "heading":
          return `${"#".repeat(b.level + 1)} ${escapeMd(b.text)}`;
        case "paragraph":
          return mdInline(b.content);
        case "list":
          return b.items.map((i) => `- ${mdInline(i)}`).join("\n");
        case "code":
          return "```\n" + b.text.replace(/```/g, "ʼʼʼ") + "\n```";
      }
    })
    .join("\n\n");
}

// ---- HTML (Azure DevOps) and Confluence storage format (XHTML) ----

export const escapeXml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

function htmlInline(content: Inline[]): string {
  return content
    .map(span)
    .map((s) => {
      if (s.href) return `<a href="${escapeXml(s.href)}">${escapeXml(s.text)}</a>`;
      if (s.code) return `<code>${escapeXml(s.text)}</code>`;
      if (s.strong) return `<strong>${escapeXml(s.text)}</strong>`;
      return escapeXml(s.text);
    })
    .join("");
}

export function toHtml(blocks: Block[]): string {
  return blocks
    .map((b) => {
      switch (b.kind) {
        case "heading":
          return `<h${b.level + 1}>${escapeXml(b.text)}</h${b.level + 1}>`;
        case "paragraph":
          return `<p>${htmlInline(b.content)}</p>`;
        case "list":
          return `<ul>${b.items.map((i) => `<li>${htmlInline(i)}</li>`).join("")}</ul>`;
        case "code":
          return `<pre>${escapeXml(b.text)}</pre>`;
      }
    })
    .join("");
}

/** Confluence storage format is XHTML; code goes into the code macro with CDATA. */
export function toConfluenceStorage(blocks: Block[]): string {
  return blocks
    .map((b) =>
      b.kind === "code"
        ? `<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[${b.text.replace(/]]>/g, "]]]]><![CDATA[>")}]]></ac:plain-text-body></ac:structured-macro>`
        : toHtml([b]),
    )
    .join("");
}

// ---- Plain text (ServiceNow description, Slack fallback) ----

export function toPlainText(blocks: Block[]): string {
  const inline = (c: Inline[]) =>
    c
      .map(span)
      .map((s) => (s.href ? `${s.text} (${s.href})` : s.text))
      .join("");
  return blocks
    .map((b) => {
      switch (b.kind) {
        case "heading":
          return b.text.toUpperCase();
        case "paragraph":
          return inline(b.content);
        case "list":
          return b.items.map((i) => `- ${inline(i)}`).join("\n");
        case "code":
          return b.text;
      }
    })
    .join("\n\n");
}

/** Slack mrkdwn escapes only &, <, >. */
export function toSlackMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
