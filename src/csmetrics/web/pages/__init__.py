"""HTML routes: the pages, their CSV exports, the forms, login and the admin pages."""
