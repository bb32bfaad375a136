import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_alter_periodicrun_task_result_id"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.CreateModel(
            name="TaskLease",
            fields=[
                (
                    "task_result",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="harken_lease",
                        serialize=False,
                        to="django_tasks_database.dbtaskresult",
                    ),
                ),
                ("worker_id", models.CharField(db_index=True, max_length=100)),
                ("expires_at", models.DateTimeField(db_index=True)),
            ],
        ),
    ]
