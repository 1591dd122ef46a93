package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/parquet-go/parquet-go"

	"github.com/auditlake/auditlake/lake"
)

// Defaults for zero Options fields.
const (
	DefaultMemoryLimit = "2GB"
	DefaultTimeout     = time.Hour // CloudTrail Lake's query time limit
)

// Options configure an Engine. The zero value means the defaults.
type Options struct {
	Threads       int           // DuckDB threads per query; 0: runtime.NumCPU()
	MemoryLimit   string        // DuckDB memory_limit per query, such as "2GB"; "": DefaultMemoryLimit
	Timeout       time.Duration // per query, from Query to Rows.Close; 0: DefaultTimeout
	MaxResultRows int64         // 0: unlimited; beyond it Rows.Err returns ErrResultLimit
	TempDir       string        // parent of the engine's own directory; "": os.TempDir()
}

var memoryLimitRE = regexp.MustCompile(`^(?i)[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$`)

// Engine runs read-only SQL over event data stores. Every query gets a
// fresh in-memory DuckDB that can read nothing but the segment files of the
// stores the statement names. An Engine is safe for concurrent use.
type Engine struct {
	cat       Catalog
	opts      Options
	dir       string // the engine's own directory: the empty segment, spill dirs
	emptyFile string // a Parquet file with the lake.Event schema and no rows
	parser    *parser
	// noPushdown makes JSON calls read the rebuilt eventJson always
	// (eventjson.go); tests compare the two.
	noPushdown bool

	spares  *spares[*sandboxDB] // the next queries' databases, made ahead (spare.go)
	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
}

// NewEngine validates opts, writes the engine's empty segment file into a
// new directory under opts.TempDir and opens the DuckDB used for parsing.
func NewEngine(cat Catalog, opts Options) (*Engine, error) {
	if cat == nil {
		return nil, errors.New("new query engine: nil catalog")
	}
	if opts.Threads == 0 {
		opts.Threads = runtime.NumCPU()
	}
	if opts.MemoryLimit == "" {
		opts.MemoryLimit = DefaultMemoryLimit
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	switch {
	case opts.Threads < 0:
		return nil, fmt.Errorf("new query engine: threads %d < 0", opts.Threads)
	case !memoryLimitRE.MatchString(opts.MemoryLimit):
		return nil, fmt.Errorf("new query engine: memory limit %q is not a size such as 2GB", opts.MemoryLimit)
	case opts.Timeout < 0:
		return nil, fmt.Errorf("new query engine: timeout %s < 0", opts.Timeout)
	case opts.MaxResultRows < 0:
		return nil, fmt.Errorf("new query engine: max result rows %d < 0", opts.MaxResultRows)
	}
	dir, err := os.MkdirTemp(opts.TempDir, "auditlake-query-")
	if err != nil {
		return nil, fmt.Errorf("new query engine: %w", err)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, fmt.Errorf("new query engine: %w", err)
	}
	e := &Engine{cat: cat, opts: opts, dir: dir, emptyFile: filepath.Join(dir, "empty.parquet")}
	if err := writeEmptySegment(e.emptyFile); err != nil {
		return nil, errors.Join(fmt.Errorf("new query engine: %w", err), os.RemoveAll(dir))
	}
	e.spares = newSpares(1, func() (*sandboxDB, error) { return newSandboxDB(opts) })
	if e.parser, err = newParser(context.Background()); err != nil {
		return nil, errors.Join(fmt.Errorf("new query engine: %w", err), e.spares.close(), os.RemoveAll(dir))
	}
	return e, nil
}

// writeEmptySegment writes a Parquet file with the lake.Event schema and no
// rows, which stands in for a store with no segments in range.
func writeEmptySegment(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write empty segment: %w", err)
	}
	w := parquet.NewGenericWriter[lake.Event](f)
	if err := w.Close(); err != nil {
		return errors.Join(fmt.Errorf("write empty segment: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write empty segment: %w", err)
	}
	return nil
}

// Close waits for open Rows to be closed, then releases the engine's
// resources. Queries after Close fail with ErrClosed.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	e.running.Wait()
	return errors.Join(e.parser.Close(), e.spares.close(), os.RemoveAll(e.dir))
}

func (e *Engine) acquire() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	e.running.Add(1)
	return nil
}

// statement is a validated statement ready to run.
type statement struct {
	rw     *rewritten
	ranges map[string]TimeRange // by lower-cased placeholder
	sql    string               // translated to DuckDB SQL, with Trino column names
}

// Validate checks a statement as Query would, without running it: it
// resolves the stores it names and refuses anything but a single read-only
// SELECT over them. Errors wrap ErrInvalidStatement or lake.ErrStoreNotFound.
func (e *Engine) Validate(ctx context.Context, sqlText string) error {
	if err := e.acquire(); err != nil {
		return err
	}
	defer e.running.Done()
	_, err := e.prepare(ctx, sqlText)
	return err
}

func (e *Engine) prepare(ctx context.Context, sqlText string) (*statement, error) {
	rw, err := rewriteRefs(ctx, sqlText, catalogResolver(e.cat))
	if err != nil {
		return nil, err
	}
	preTranslate(rw)
	stmt, err := e.parser.parse(ctx, rw)
	if err != nil {
		return nil, err
	}
	node, _ := stmt["node"].(map[string]any)
	if err := validateAST(rw, node); err != nil {
		return nil, err
	}
	for _, r := range rw.Refs {
		if !r.Found {
			return nil, fmt.Errorf("%w: %q", lake.ErrStoreNotFound, r.Text)
		}
	}
	var calls map[uintptr]bool
	if !e.noPushdown {
		calls = eventJSONCalls(rw, node)
	}
	rw.pushdown = len(calls) > 0
	st := &statement{rw: rw, ranges: timeRanges(node)}
	if st.sql, err = e.parser.translateStatement(ctx, rw, stmt, calls); err != nil {
		return nil, err
	}
	return st, nil
}

// Query validates sqlText, finds the segments of the stores it names that
// may hold matching rows, and starts it in a fresh sandboxed DuckDB. The
// caller must Close the Rows, which releases the segments. Errors wrap
// ErrInvalidStatement, lake.ErrStoreNotFound, or the context's error.
func (e *Engine) Query(ctx context.Context, sqlText string) (_ *Rows, err error) {
	if err := e.acquire(); err != nil {
		return nil, err
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, e.opts.Timeout)
	r := &Rows{start: start, max: e.opts.MaxResultRows}
	r.closers = append(r.closers, func() error { cancel(); e.running.Done(); return nil })
	defer func() {
		if err != nil {
			err = errors.Join(err, r.Close())
		}
	}()
	st, err := e.prepare(ctx, sqlText)
	if err != nil {
		return nil, err
	}
	views, err := e.segments(ctx, st, r)
	if err != nil {
		return nil, err
	}
	conn, err := e.openSandbox(ctx, views, r)
	if err != nil {
		return nil, err
	}
	rows, err := conn.QueryContext(ctx, st.sql)
	if err != nil {
		return nil, queryError(ctx.Err(), st.rw, err)
	}
	r.ctxErr = ctx.Err
	r.rw = st.rw
	if err := r.init(rows); err != nil {
		return nil, err
	}
	return r, nil
}

// queryError classifies an error of a running query: the context's error,
// a *StatementError for errors in the statement itself (unknown columns,
// type errors, refused file access), else the DuckDB error.
func queryError(ctxErr error, rw *rewritten, err error) error {
	if ctxErr != nil {
		return fmt.Errorf("run query: %w", ctxErr)
	}
	var de *duckdb.Error
	if errors.As(err, &de) && statementErrorTypes[de.Type] {
		return newStatementError(rw.Orig, -1, "%s", userMessage(rw, cleanDuckDBError(err)))
	}
	return fmt.Errorf("run query: %w", err)
}

var statementErrorTypes = map[duckdb.ErrorType]bool{
	duckdb.ErrorTypeBinder: true, duckdb.ErrorTypeCatalog: true, duckdb.ErrorTypeParser: true,
	duckdb.ErrorTypeSyntax: true, duckdb.ErrorTypeConversion: true, duckdb.ErrorTypeInvalidInput: true,
	duckdb.ErrorTypeMismatchType: true, duckdb.ErrorTypeInvalidType: true, duckdb.ErrorTypeOutOfRange: true,
	duckdb.ErrorTypeDivideByZero: true, duckdb.ErrorTypeNotImplemented: true, duckdb.ErrorTypePermission: true,
	duckdb.ErrorTypeParameterNotResolved: true, duckdb.ErrorTypeParameterNotAllowed: true,
	duckdb.ErrorTypeMissingExtension: true, duckdb.ErrorTypeAutoLoad: true, duckdb.ErrorTypeExpression: true,
}

// view is one store reference's segment files.
type view struct {
	name     string
	kind     lake.RowKind
	paths    []string
	pushdown bool // add the internal columns JSON calls read the stored eventJson from
	keyCuts  bool // every segment is cut only at the records' own ID members (lake.Segment.KeyCuts)
}

// sql is the statement that creates the view over the segment files. Its
// columns are the store's schema: eventJson as the original record (a
// segment stores it without the text of eventID and requestID, see
// lake/idcut.go), then eventJsonChecksum, which is not stored but derived,
// and computed only when a query reads it. For a statement whose JSON
// calls read the stored eventJson, internal columns follow
// (eventjson.go).
func (v view) sql() string {
	from := fmt.Sprintf("read_parquet(%s, hive_partitioning = false)", sqlList(v.paths))
	var cols string
	if v.kind == lake.RowAuditEvent {
		cols = "*, sha256(eventJson) AS eventJsonChecksum"
		if v.pushdown {
			cols += ", " + ejUncutColumns
		}
	} else {
		cols = fmt.Sprintf("* EXCLUDE (eventJson, %s), %s AS eventJson, sha256(%[2]s) AS eventJsonChecksum",
			strings.Join(lake.StoredOnlyColumns, ", "), lake.StoredEventJSON)
		switch {
		case v.pushdown && v.keyCuts:
			// Only the records' own eventID and requestID members are
			// emptied, and pushdownPath keeps their paths off the stored
			// text: it answers every other path as the original does.
			cols += ", " + ejUncutColumns
		case v.pushdown:
			cols += ", " + ejViewColumns
		}
	}
	return fmt.Sprintf("CREATE TEMP VIEW %s AS SELECT %s FROM %s", quoteIdent(v.name), cols, from)
}

// segments asks the catalog for each reference's segments in its pruned
// range and records them, and their releases, in r.
func (e *Engine) segments(ctx context.Context, st *statement, r *Rows) ([]view, error) {
	seen := map[string]bool{}
	views := make([]view, 0, len(st.rw.Refs))
	for _, ref := range st.rw.Refs {
		rng := st.ranges[strings.ToLower(ref.Placeholder)]
		keyCuts := false
		if kc, ok := e.cat.(keyCutter); ok && st.rw.pushdown {
			// Asked before Segments: the answer stays true once true, so
			// every segment Segments then returns has the mark too.
			var err error
			if keyCuts, err = kc.KeyCuts(ctx, ref.Store.ID, rng.From, rng.To); err != nil {
				return nil, fmt.Errorf("segments of store %s: %w", ref.Store.ID, err)
			}
		}
		paths, release, err := e.cat.Segments(ctx, ref.Store.ID, rng.From, rng.To)
		if err != nil {
			return nil, fmt.Errorf("segments of store %s: %w", ref.Store.ID, err)
		}
		if release != nil {
			r.closers = append(r.closers, func() error { release(); return nil })
		}
		v := view{name: ref.Placeholder, kind: lake.RowKindOf(ref.Store), pushdown: st.rw.pushdown, keyCuts: keyCuts}
		for _, p := range paths {
			abs, err := filepath.Abs(p)
			if err != nil {
				return nil, fmt.Errorf("segment %s: %w", p, err)
			}
			v.paths = append(v.paths, abs)
			if seen[abs] {
				continue
			}
			seen[abs] = true
			fi, err := os.Stat(abs)
			if err != nil {
				return nil, fmt.Errorf("segment of store %s: %w", ref.Store.ID, err)
			}
			r.stats.FilesRead++
			r.stats.BytesRead += fi.Size()
		}
		if len(v.paths) == 0 {
			v.paths = []string{e.emptyFile}
			if v.kind == lake.RowAuditEvent { // ActivityAuditLog stores have their own schema
				if v.paths[0], err = lake.EmptySegment(e.dir, lake.RowAuditEvent); err != nil {
					return nil, err
				}
			}
		}
		views = append(views, v)
	}
	return views, nil
}

// openSandbox opens a fresh in-memory DuckDB, locks it down so that it can
// read only the files of views, and creates the views. Its closers are
// added to r.
func (e *Engine) openSandbox(ctx context.Context, views []view, r *Rows) (*sql.Conn, error) {
	spill, err := os.MkdirTemp(e.dir, "spill-")
	if err != nil {
		return nil, fmt.Errorf("open sandbox: %w", err)
	}
	r.closers = append(r.closers, func() error { return os.RemoveAll(spill) })
	sb, err := e.spares.take(ctx)
	if err != nil {
		return nil, fmt.Errorf("open sandbox: %w", err)
	}
	r.closers = append(r.closers, sb.close)
	for _, s := range querySandboxSettings(spill, views) {
		if _, err := sb.conn.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("open sandbox: %s: %w", s, err)
		}
	}
	for _, v := range views {
		if _, err := sb.conn.ExecContext(ctx, v.sql()); err != nil {
			return nil, fmt.Errorf("open sandbox: create view: %w", err)
		}
	}
	return sb.conn, nil
}

// sharedSandboxSettings configure a query's database before the query is
// known (spare.go); querySandboxSettings follow, and lock the configuration.
func sharedSandboxSettings(o Options) []string {
	return []string{
		fmt.Sprintf("SET threads = %d", o.Threads),
		fmt.Sprintf("SET memory_limit = %s", sqlString(o.MemoryLimit)),
		"SET TimeZone = 'UTC'",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET allow_persistent_secrets = false",
		"SET integer_division = true", // Trino: integer / integer is an integer
	}
}

// querySandboxSettings are the statements that end the configuration of a
// query's database: where it spills, the only files it may read, and the
// lock. The order matters: lock_configuration comes last.
func querySandboxSettings(spill string, views []view) []string {
	var paths []string
	seen := map[string]bool{}
	for _, v := range views {
		for _, p := range v.paths {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	return []string{
		fmt.Sprintf("SET temp_directory = %s", sqlString(spill)),
		"SET allowed_directories = []",
		fmt.Sprintf("SET allowed_paths = %s", sqlList(paths)),
		"SET enable_external_access = false",
		"SET lock_configuration = true",
	}
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func sqlList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = sqlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
