package jobs

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// Results returns up to max rows of the query's results after nextToken
// ("" for the first page); max 0 means MaxResultsPerPage. While the query
// is active it returns the rows stored so far, and a NextToken to resume
// from. Errors wrap ErrQueryNotFound, ErrInvalidMaxResults or
// ErrInvalidNextToken.
func (m *Manager) Results(ctx context.Context, id, nextToken string, max int) (ResultPage, error) {
	if max == 0 {
		max = MaxResultsPerPage
	}
	if max < 1 || max > MaxResultsPerPage {
		return ResultPage{}, fmt.Errorf("%w: MaxQueryResults %d is not between 1 and %d", ErrInvalidMaxResults, max, MaxResultsPerPage)
	}
	if !validID(id) {
		return ResultPage{}, fmt.Errorf("%w: %q is not a query ID", ErrQueryNotFound, id)
	}
	r, err := m.get(id)
	if err != nil {
		return ResultPage{}, err
	}
	m.withLiveStats(r)
	pos := resultsToken{Query: id}
	if nextToken != "" {
		if err := m.decodeToken(nextToken, &pos); err != nil {
			return ResultPage{}, err
		}
		if pos.Query != id || pos.Part < 0 || pos.Part > len(r.Parts) || pos.Offset < 0 {
			return ResultPage{}, fmt.Errorf("%w: the token belongs to another query", ErrInvalidNextToken)
		}
	}
	page := ResultPage{
		Status: r.Status, ErrorMessage: r.Error, Columns: r.Columns,
		TotalResultsCount: r.Rows, BytesScanned: r.BytesScanned,
	}
	for len(page.Rows) < max && pos.Part < len(r.Parts) {
		if err := m.readPart(ctx, r, &pos, max, &page); err != nil {
			return ResultPage{}, err
		}
	}
	page.ResultsCount = len(page.Rows)
	if pos.Part < len(r.Parts) || r.Status.Active() {
		page.NextToken = m.encodeToken(pos)
	}
	return page, nil
}

// readPart appends rows of the part at pos to page until page has max rows
// or the part ends, and moves pos past them.
func (m *Manager) readPart(ctx context.Context, r *record, pos *resultsToken, max int, page *ResultPage) error {
	data, err := m.readResultFile(ctx, r.ID, pos.Part+1)
	if err != nil {
		return err
	}
	if pos.Offset == 0 { // skip the header row
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		if _, err := cr.Read(); err != nil {
			return fmt.Errorf("read results of query %s: %w", r.ID, err)
		}
		pos.Offset = cr.InputOffset()
	}
	if pos.Offset > int64(len(data)) {
		return fmt.Errorf("%w: the token is past the end of the results", ErrInvalidNextToken)
	}
	cr := csv.NewReader(bytes.NewReader(data[pos.Offset:]))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	for len(page.Rows) < max {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read results of query %s: %w", r.ID, err)
		}
		row := make([]Field, len(rec))
		for i, v := range rec {
			row[i] = Field{Column: columnName(r.Columns, i), Value: v}
		}
		page.Rows = append(page.Rows, row)
		pos.Row++
	}
	pos.Offset += cr.InputOffset()
	if pos.Offset >= int64(len(data)) {
		pos.Part, pos.Offset = pos.Part+1, 0
	}
	return nil
}

func columnName(cols []string, i int) string {
	if i < len(cols) {
		return cols[i]
	}
	return fmt.Sprintf("_col%d", i)
}
