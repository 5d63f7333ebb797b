// Image globs as PolicyGate selectors and RiskExceptions write them: `*` matches within one path
// segment, `**` across segments (as a whole segment), `?` one character; everything else is a
// literal character of an image reference. A glob matches an image written as is or in its
// normalised forms (`nginx` is `docker.io/library/nginx:latest`). The admission webhook, the
// PolicyGate controller and the decision engine all use this one module, so they cannot disagree.
import { ImageGlobError } from "./errors.js";
import { parseImageRef } from "./image-ref.js";

const MAX_GLOB = 512;
const ALLOWED = /^[A-Za-z0-9._\-/:@*?]+$/;

/** Why a glob is invalid, or undefined when it is valid. */
export function checkImageGlob(glob: string): string | undefined {
  if (glob.length === 0) return "must not be empty";
  if (glob.length > MAX_GLOB) return `must be at most ${MAX_GLOB} characters`;
  if (/\s/.test(glob)) return "white space is not allowed in an image glob";
  if (/[[\]]/.test(glob)) return "character classes ([...]) are not supported; use * or ?";
  if (/[{}]/.test(glob)) return "braces ({a,b}) are not supported; list each glob separately";
  if (!ALLOWED.test(glob)) {
    const bad = [...glob].find((c) => !ALLOWED.test(c));
    return `contains ${JSON.stringify(bad)}: only image-reference characters, "*", "**" and "?" are allowed`;
  }
  if (glob.includes("***")) return `"***" is not a pattern; use "*" within a segment or "**" across segments`;
  if (glob.startsWith("/") || glob.endsWith("/")) return "must not start or end with /";
  if (glob.includes("//")) return "must not contain an empty path segment (//)";
  if (glob.indexOf("@") !== glob.lastIndexOf("@")) return "may contain at most one @";
  for (const seg of glob.split("/")) {
    if (seg.includes("**") && seg !== "**") return `"**" must be a whole path segment (e.g. ghcr.io/acme/**), not part of ${JSON.stringify(seg)}`;
  }
  return undefined;
}

/** Compiles a glob to an anchored RegExp; throws ImageGlobError ("invalid image glob …") when invalid. */
export function imageGlobToRegExp(glob: string): RegExp {
  const problem = checkImageGlob(glob);
  if (problem) throw new ImageGlobError(glob, problem);
  const segs = glob.split("/");
  let re = "";
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (seg === "**") {
      // `a/**/b` also matches `a/b`; a trailing `/**` matches the prefix itself and anything below.
      re += last ? (i === 0 ? ".*" : "(?:/.*)?") : i === 0 ? "(?:.*/)?" : "(?:/.*)?/";
      continue;
    }
    if (i > 0 && segs[i - 1] !== "**") re += "/";
    re += seg.replace(/[.+^${}()|[\]\\-]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  }
  return new RegExp(`^${re}$`);
}

/** Does the image (as written, or in a normalised form) match the compiled glob? */
export function imageMatchesRegExp(image: string, re: RegExp): boolean {
  if (re.test(image)) return true;
  const ref = parseImageRef(image);
  if (!ref) return false;
  return re.test(ref.canonical) || re.test(ref.name) || (ref.tagRef !== undefined && re.test(ref.tagRef));
}

/** One-off match (compiles every call; compile once with imageGlobToRegExp on hot paths). */
export function matchImageGlob(glob: string, image: string): boolean {
  return imageMatchesRegExp(image, imageGlobToRegExp(glob));
}
