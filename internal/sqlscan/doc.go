// Package sqlscan holds the byte-level scanning both SQL front ends need
// before any parser sees a statement: which bytes form words, and where a
// quoted string, a quoted identifier, a dollar-quoted string or a (nested)
// block comment ends. query's store-reference pass and query/pgwire's
// statement lexer share it, so that they agree on what is code and what is
// text.
package sqlscan
