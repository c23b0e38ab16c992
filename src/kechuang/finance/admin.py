"""Reference records the bureau admin keeps in the admin site: banks' branches and their staff's posts.
Products are listed on /finance/products/ (a bureau admin adds one there); everything else is written by the
services on the finance pages."""

from django.contrib import admin

from .models import BankStaff, Branch


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("name", "bank", "region")
    list_filter = ("bank",)
    search_fields = ("name", "bank__name")


@admin.register(BankStaff)
class BankStaffAdmin(admin.ModelAdmin):
    list_display = ("user", "branch", "title")
    list_filter = ("branch__bank",)
    raw_id_fields = ("user",)
