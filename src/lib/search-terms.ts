/** Keyword search for Chinese text without a tokenizer, shared by the catalog and the demands list. */

/**
 * Search terms for Chinese and mixed text without a tokenizer: every CJK character bigram (and
 * single CJK characters) plus lower-cased ASCII words. A query matches when the listing has all
 * of the query's terms.
 */
export function searchTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const run of text
    .normalize("NFKC")
    .toLowerCase()
    .match(/[\p{Script=Han}]+|[a-z0-9]+/gu) ?? []) {
    if (/^[a-z0-9]+$/.test(run)) {
      terms.add(run);
      continue;
    }
    const chars = [...run];
    for (let i = 0; i < chars.length; i++) {
      terms.add(chars[i]!);
      if (i + 1 < chars.length) terms.add(chars[i]! + chars[i + 1]!);
    }
  }
  return [...terms];
}

/** The terms a query needs: its bigrams (a lone Chinese character stands for itself) and ASCII words. */
export function queryTerms(q: string): string[] {
  const terms = new Set<string>();
  for (const run of q
    .slice(0, 50)
    .normalize("NFKC")
    .toLowerCase()
    .match(/[\p{Script=Han}]+|[a-z0-9]+/gu) ?? []) {
    const chars = [...run];
    if (/^[a-z0-9]+$/.test(run) || chars.length === 1) terms.add(run);
    else for (let i = 0; i + 1 < chars.length; i++) terms.add(chars[i]! + chars[i + 1]!);
  }
  return [...terms];
}
