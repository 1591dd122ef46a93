package api

import (
	"context"
	"time"

	"github.com/auditlake/auditlake/api/apierr"
	"github.com/auditlake/auditlake/ingest/importjob"
)

// Imports is what the import handlers need of importjob.Manager.
type Imports interface {
	Start(ctx context.Context, in importjob.StartInput) (importjob.Import, error)
	Get(ctx context.Context, id string) (importjob.Import, error)
	List(ctx context.Context, in importjob.ListInput) ([]importjob.Import, string, error)
	Stop(ctx context.Context, id string) (importjob.Import, error)
	Failures(ctx context.Context, id, token string, max int) ([]importjob.Failure, string, error)
}

var _ Imports = (*importjob.Manager)(nil)

type s3ImportSource struct {
	S3LocationURI         string `json:"S3LocationUri"`
	S3BucketRegion        string `json:"S3BucketRegion"`
	S3BucketAccessRoleARN string `json:"S3BucketAccessRoleArn"`
}

type importSource struct {
	S3 s3ImportSource `json:"S3"`
}

type importStats struct {
	PrefixesFound     int64 `json:"PrefixesFound"`
	PrefixesCompleted int64 `json:"PrefixesCompleted"`
	FilesCompleted    int64 `json:"FilesCompleted"`
	EventsCompleted   int64 `json:"EventsCompleted"`
	FailedEntries     int64 `json:"FailedEntries"`
}

// importOut is the shape of StartImport, GetImport and StopImport.
type importOut struct {
	ImportID         string       `json:"ImportId"`
	Destinations     []string     `json:"Destinations"`
	ImportSource     importSource `json:"ImportSource"`
	StartEventTime   *epoch       `json:"StartEventTime,omitempty"`
	EndEventTime     *epoch       `json:"EndEventTime,omitempty"`
	ImportStatus     string       `json:"ImportStatus"`
	CreatedTimestamp *epoch       `json:"CreatedTimestamp,omitempty"`
	UpdatedTimestamp *epoch       `json:"UpdatedTimestamp,omitempty"`
	ImportStatistics *importStats `json:"ImportStatistics,omitempty"`
}

func (s *Server) importShape(im importjob.Import, stats bool) importOut {
	out := importOut{
		ImportID: im.ID, ImportStatus: string(im.Status),
		ImportSource:   importSource{S3: s3ImportSource{S3LocationURI: im.Source, S3BucketRegion: im.Region, S3BucketAccessRoleARN: im.RoleARN}},
		StartEventTime: epochPtr(im.Start), EndEventTime: epochPtr(im.End),
		CreatedTimestamp: epochPtr(im.Created), UpdatedTimestamp: epochPtr(im.Updated),
	}
	for _, id := range im.Destinations {
		out.Destinations = append(out.Destinations, s.storeARN(id))
	}
	if stats {
		st := im.Stats
		out.ImportStatistics = &importStats{st.PrefixesFound, st.PrefixesCompleted, st.FilesCompleted, st.EventsCompleted, st.FailedEntries}
	}
	return out
}

// importRef loads an import and authorizes the call on its destinations.
func (c *call) importRef(id string) (importjob.Import, error) {
	if id == "" {
		return importjob.Import{}, apierr.New(apierr.InvalidParameter, "ImportId is required.")
	}
	im, err := c.s.opts.Imports.Get(c.ctx, id)
	if err != nil {
		return im, err
	}
	arns := make([]string, len(im.Destinations))
	for i, sid := range im.Destinations {
		arns[i] = c.s.storeARN(sid)
	}
	return im, c.authorize(arns...)
}

func timeOf(e *epoch) time.Time {
	if e == nil {
		return time.Time{}
	}
	return time.Time(*e)
}

func (s *Server) startImport(c *call) (any, error) {
	var in struct {
		Destinations   []string      `json:"Destinations"`
		ImportSource   *importSource `json:"ImportSource"`
		StartEventTime *epoch        `json:"StartEventTime"`
		EndEventTime   *epoch        `json:"EndEventTime"`
		ImportID       string        `json:"ImportId"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	var start importjob.StartInput
	if in.ImportID != "" {
		if _, err := c.importRef(in.ImportID); err != nil {
			return nil, err
		}
		start.ID = in.ImportID
	} else {
		if in.ImportSource == nil || len(in.Destinations) == 0 {
			return nil, apierr.New(apierr.InvalidParameter, "Destinations and ImportSource are required to start a new import; send ImportId to restart one.")
		}
		for _, d := range in.Destinations {
			if _, err := c.store(d); err != nil {
				return nil, err
			}
		}
		start = importjob.StartInput{
			Source: in.ImportSource.S3.S3LocationURI, Region: in.ImportSource.S3.S3BucketRegion,
			RoleARN: in.ImportSource.S3.S3BucketAccessRoleARN, Destinations: in.Destinations,
			Start: timeOf(in.StartEventTime), End: timeOf(in.EndEventTime),
		}
	}
	im, err := s.opts.Imports.Start(c.ctx, start)
	if err != nil {
		return nil, err
	}
	return s.importShape(im, false), nil
}

type importIDIn struct {
	ImportID string `json:"ImportId"`
}

func (s *Server) getImport(c *call) (any, error) {
	var in importIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	im, err := c.importRef(in.ImportID)
	if err != nil {
		return nil, err
	}
	return s.importShape(im, true), nil
}

func (s *Server) stopImport(c *call) (any, error) {
	var in importIDIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if _, err := c.importRef(in.ImportID); err != nil {
		return nil, err
	}
	im, err := s.opts.Imports.Stop(c.ctx, in.ImportID)
	if err != nil {
		return nil, err
	}
	return s.importShape(im, true), nil
}

func (s *Server) listImports(c *call) (any, error) {
	var in struct {
		MaxResults   int    `json:"MaxResults"`
		Destination  string `json:"Destination"`
		ImportStatus string `json:"ImportStatus"`
		NextToken    string `json:"NextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	li := importjob.ListInput{Status: importjob.Status(in.ImportStatus), NextToken: in.NextToken, MaxResults: in.MaxResults}
	if in.Destination != "" {
		st, err := c.store(in.Destination)
		if err != nil {
			return nil, err
		}
		li.Destination = st.ID
	} else if err := c.authorize(s.arnPrefix("eventdatastore") + "*"); err != nil {
		return nil, err
	}
	list, next, err := s.opts.Imports.List(c.ctx, li)
	if err != nil {
		return nil, err
	}
	type item struct {
		ImportID         string   `json:"ImportId"`
		ImportStatus     string   `json:"ImportStatus"`
		Destinations     []string `json:"Destinations"`
		CreatedTimestamp *epoch   `json:"CreatedTimestamp,omitempty"`
		UpdatedTimestamp *epoch   `json:"UpdatedTimestamp,omitempty"`
	}
	out := struct {
		Imports   []item `json:"Imports"`
		NextToken string `json:"NextToken,omitempty"`
	}{Imports: []item{}, NextToken: next}
	for _, im := range list {
		sh := s.importShape(im, false)
		out.Imports = append(out.Imports, item{sh.ImportID, sh.ImportStatus, sh.Destinations, sh.CreatedTimestamp, sh.UpdatedTimestamp})
	}
	return out, nil
}

func (s *Server) listImportFailures(c *call) (any, error) {
	var in struct {
		ImportID   string `json:"ImportId"`
		MaxResults int    `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if _, err := c.importRef(in.ImportID); err != nil {
		return nil, err
	}
	list, next, err := s.opts.Imports.Failures(c.ctx, in.ImportID, in.NextToken, in.MaxResults)
	if err != nil {
		return nil, err
	}
	type item struct {
		Location        string `json:"Location"`
		Status          string `json:"Status"`
		ErrorType       string `json:"ErrorType"`
		ErrorMessage    string `json:"ErrorMessage"`
		LastUpdatedTime *epoch `json:"LastUpdatedTime,omitempty"`
	}
	out := struct {
		Failures  []item `json:"Failures"`
		NextToken string `json:"NextToken,omitempty"`
	}{Failures: []item{}, NextToken: next}
	for _, f := range list {
		out.Failures = append(out.Failures, item{f.Location, f.Status, f.ErrorType, f.ErrorMessage, epochPtr(f.Updated)})
	}
	return out, nil
}
