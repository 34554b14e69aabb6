# Tables for segments arrive with their own issue; the app is registered now so that
# migrations and admin sections have a stable home.
