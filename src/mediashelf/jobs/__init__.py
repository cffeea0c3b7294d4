"""Background jobs: the jobs table, the Huey queue, the job kinds."""
