package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/auditlake/auditlake/bench/harness"
)

// machine describes where the numbers were taken: the machine, and the
// DuckDB and auditlake binary measured.
type machine struct {
	harness.Machine
	DuckDB   string
	Auditlak string // auditlake binary path
}

func describeMachine(ctx context.Context, db *sql.DB, bin string) machine {
	m := machine{Machine: harness.DescribeMachine(ctx), Auditlak: bin}
	var v, src string
	if err := db.QueryRowContext(ctx, "SELECT version(), source_id FROM pragma_version()").Scan(&v, &src); err == nil {
		m.DuckDB = v + " (" + src + ")"
	}
	return m
}

func (m machine) String() string {
	return fmt.Sprintf("%s, DuckDB %s", m.Machine, m.DuckDB)
}
