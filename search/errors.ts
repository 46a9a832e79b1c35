// Errors about the search layer's own parameters. Each carries a code and the parameter as the
// search functions name it; callers tell the user in their own terms: the CLI names the flag
// typed (cli/options.ts), the server the API parameter, with a 400 (server/params.ts).

/** The search layer's parameters (SearchOptions, SimilarOptions, SearchFilter, the query text). */
export type SearchParam =
  | 'query'
  | 'text'
  | 'k'
  | 'offset'
  | 'mode'
  | 'by'
  | 'passageId'
  | 'region'
  | 'year'
  | 'from'
  | 'to'
  | 'section'
  | 'kind'
  | 'province'
  | 'city'
  | 'county'
  | 'denseWeight';

export type SearchErrorCode =
  /** Empty or blank text. */
  | 'empty'
  /** Text over its length limit. */
  | 'too_long'
  /** A number outside its range (k, a year, a weight). */
  | 'out_of_range'
  /** A value not among the allowed ones (mode, by, section, kind). */
  | 'not_allowed'
  /** `from` after `to`, or a year together with a range. */
  | 'conflicting'
  /** A region name that names no region, or several. */
  | 'unknown_region'
  | 'ambiguous_region'
  /** A passage id that is malformed, names no passage, or one without a vector of this model. */
  | 'not_a_passage_id'
  | 'unknown_passage'
  | 'not_embedded'
  /** Other-regions with a text: the text has no region of its own and none was given. */
  | 'region_required';

export class SearchParamError extends Error {
  constructor(
    readonly code: SearchErrorCode,
    readonly param: SearchParam,
    /** What is wrong, without the parameter's name (each caller puts its own in front). */
    readonly detail: string,
  ) {
    super(`${param}: ${detail}`);
    this.name = 'SearchParamError';
  }

  /** The message with the caller's name for the parameter. */
  naming(name: string): string {
    return `${name}: ${this.detail}`;
  }
}
