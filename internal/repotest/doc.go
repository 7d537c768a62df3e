// Package repotest holds tests about the repository itself: rules that span
// packages, such as which imports the generated code and the runtimes may use.
package repotest
