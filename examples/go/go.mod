module agentsched.example/agentsched

go 1.19
