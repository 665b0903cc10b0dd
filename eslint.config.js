import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['dist/**', 'scratch/**', 'coverage/**', '.tap/**', 'node_modules/**']
})
