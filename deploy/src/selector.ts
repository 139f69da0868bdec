// The label selectors the plan passes to `kubectl --selector`, evaluated here the way kubectl's resource
// builder does, so the plan knows which objects each apply step sends. Only the forms the plan writes:
// `key`, `!key`, `key=value`, `key!=value`, joined by commas (all must hold).
export function matchesSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  const own = labels ?? {}
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .every((term) => {
      const notEquals = term.indexOf('!=')
      if (notEquals > 0) return own[term.slice(0, notEquals)] !== term.slice(notEquals + 2)
      const equals = term.indexOf('=')
      if (equals > 0)
        return own[term.slice(0, equals).replace(/=$/, '')] === term.slice(equals + 1).replace(/^=/, '')
      if (term.startsWith('!')) return !(term.slice(1) in own)
      if (!/^[\w./-]+$/.test(term)) throw new Error(`unsupported label selector term "${term}"`)
      return term in own
    })
}
