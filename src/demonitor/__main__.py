from demonitor.cli import app

app(prog_name="demonitor")
