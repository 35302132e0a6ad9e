package azurite

// PID is the process id of Azurite, for the tests of package azurite_test.
func (s *Server) PID() int { return s.cmd.Process.Pid }
