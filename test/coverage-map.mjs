// tap coverage map: coverage is measured on the package's own code (lib/, bin/), not on the
// examples and benchmarks that some tests load to check they run.
export default () => ['lib/**/*.ts', 'bin/**/*.ts']
