export type CodecErrorCode =
  | 'missing-attribute'
  | 'invalid-attribute'
  | 'invalid-json'
  | 'invalid-utf8'
  | 'too-large'
  | 'unknown-type'
  | 'schema-mismatch'
  | 'unsupported-format'
  | 'not-cloudevent'

/** Why a record or message could not be read as a CloudEvent; `field` names the attribute, header or data path. */
export class CodecError extends Error {
  readonly code: CodecErrorCode
  readonly field?: string

  constructor(code: CodecErrorCode, message: string, field?: string) {
    super(message)
    this.name = 'CodecError'
    this.code = code
    if (field !== undefined) this.field = field
  }
}
