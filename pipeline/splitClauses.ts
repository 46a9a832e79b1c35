// A text's clauses: the pieces between its commas, enumeration commas, semicolons, full stops and
// spaces. A vector of a whole text follows its dominant clause; mixing in its clauses' vectors gives
// each thing the text says its say (search/queryVector.ts for queries, models/encoder.ts for passages).

/** Shorter pieces between commas are parts of a name (双随机、一公开), not a clause of their own. */
const MIN_CLAUSE_CHARS = 4;
const CLAUSE_BREAKS = /[，,；;。、\s]+/u;

/** The text's clauses of MIN_CLAUSE_CHARS or more, or none when it has fewer than two. */
export function splitClauses(text: string): string[] {
  const clauses = text.split(CLAUSE_BREAKS).filter((clause) => clause.length >= MIN_CLAUSE_CHARS);
  return clauses.length > 1 ? clauses : [];
}
