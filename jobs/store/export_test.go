package store

// SetSearchCommon lowers the number of a word's matches past which the
// search box checks rows one by one, so that a small job takes that path.
func (s *Store) SetSearchCommon(n int) { s.searchCommon = n }
