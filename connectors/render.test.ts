import { describe, expect, it } from "@jest/globals";
import { toAdf, toConfluenceStorage, toHtml, toJiraWiki, toMarkdown, toPlainText } from "./render.js";
import type { Block } from "./types.js";

const blocks: Block[] = [
  { kind: "heading", level: 1, text: "CVE <1> & [x]" },
  { kind: "paragraph", content: ["Pkg ", { text: "a|b", code: true }, " see ", { text: "docs", href: "https://x.test/a?b=1&c=(2)" }, ""] },
  { kind: "list", items: [["one *star*"], [{ text: "two", strong: true }]] },
  { kind: "code", text: "line ]]> end" },
];

describe("description rendering", () => {
  it("builds valid ADF: doc v1, marks for links/code/strong, no empty text nodes", () => {
    const adf = toAdf(blocks);
    expect(adf).toMatchObject({ type: "doc", version: 1 });
    expect(adf.content.map((n) => n.type)).toEqual(["heading", "paragraph", "bulletList", "codeBlock"]);
    const para = adf.content[1] as { content: { text: string; marks?: unknown[] }[] };
    expect(para.content.map((t) => t.text)).toEqual(["Pkg ", "a|b", " see ", "docs"]);
    expect(para.content[1]!.marks).toEqual([{ type: "code" }]);
    expect(para.content[3]!.marks).toEqual([{ type: "link", attrs: { href: "https://x.test/a?b=1&c=(2)" } }]);
    expect(JSON.stringify(adf)).not.toContain('"text":""');
  });

  it("escapes Jira wiki markup", () => {
    const wiki = toJiraWiki(blocks);
    expect(wiki).toContain("h1. CVE <1> & \\[x\\]");
    expect(wiki).toContain("* one \\*star\\*");
    expect(wiki).toContain("{noformat}\nline ]]> end\n{noformat}");
  });

  it("escapes Markdown and keeps links usable", () => {
    const md = toMarkdown(blocks);
    expect(md).toContain("## CVE \\<1\\> & \\[x\\]");
    expect(md).toContain("[docs](https://x.test/a?b=1&c=%282%29)");
    expect(md).toContain("- **two**");
  });

  it("escapes HTML and Confluence storage, with code in a CDATA macro that cannot be closed early", () => {
    expect(toHtml(blocks)).toContain("<h2>CVE &lt;1&gt; &amp; [x]</h2>");
    expect(toHtml(blocks)).toContain('<a href="https://x.test/a?b=1&amp;c=(2)">docs</a>');
    const storage = toConfluenceStorage(blocks);
    expect(storage).toContain("<![CDATA[line ]]]]><![CDATA[> end]]>");
  });

  it("renders plain text with link targets", () => {
    expect(toPlainText(blocks)).toContain("docs (https://x.test/a?b=1&c=(2))");
  });
});
