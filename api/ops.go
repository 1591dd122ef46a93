package api

// handlers lists the operations auditlake implements. Every other
// operation of the model answers UnsupportedOperationException.
func (s *Server) handlers() map[string]handler {
	h := map[string]handler{
		"CreateEventDataStore":         s.createStore,
		"GetEventDataStore":            s.getStore,
		"ListEventDataStores":          s.listStores,
		"UpdateEventDataStore":         s.updateStore,
		"DeleteEventDataStore":         s.storeAction(s.deleteStore, false),
		"RestoreEventDataStore":        s.storeAction(s.restoreStore, true),
		"StartEventDataStoreIngestion": s.storeAction(s.setIngestion(true), false),
		"StopEventDataStoreIngestion":  s.storeAction(s.setIngestion(false), false),
		"AddTags":                      s.addTags,
		"ListTags":                     s.listTags,
		"RemoveTags":                   s.removeTags,
	}
	if s.opts.Channels != nil {
		h["CreateChannel"] = s.createChannel
		h["GetChannel"] = s.getChannel
		h["ListChannels"] = s.listChannels
		h["UpdateChannel"] = s.updateChannel
		h["DeleteChannel"] = s.deleteChannel
	}
	if s.opts.History != nil {
		h["LookupEvents"] = s.lookupEvents
	}
	if s.opts.Imports != nil {
		h["StartImport"] = s.startImport
		h["GetImport"] = s.getImport
		h["ListImports"] = s.listImports
		h["StopImport"] = s.stopImport
		h["ListImportFailures"] = s.listImportFailures
	}
	if s.opts.Queries != nil {
		h["StartQuery"] = s.startQuery
		h["DescribeQuery"] = s.describeQuery
		h["GetQueryResults"] = s.getQueryResults
		h["ListQueries"] = s.listQueries
		h["CancelQuery"] = s.cancelQuery
		h["ListPublicKeys"] = s.listPublicKeys
	}
	return h
}

// Implemented reports whether the server answers op (a CloudTrail
// operation name) rather than UnsupportedOperationException.
func (s *Server) Implemented(op string) bool { return s.ops[op] != nil }
