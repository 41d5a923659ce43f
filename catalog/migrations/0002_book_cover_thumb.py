from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="book",
            name="cover_thumb",
            field=models.ImageField(blank=True, upload_to="covers/"),
        ),
    ]
