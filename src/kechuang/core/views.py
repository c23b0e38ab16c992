from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from kechuang.carriers.models import Carrier, Residency
from kechuang.enterprises import selectors
from kechuang.enterprises.models import AnnualFigure

from .models import Job


@login_required
def home(request):
    user = request.user
    enterprises = selectors.enterprises_for(user)
    latest_year = AnnualFigure.objects.filter(enterprise__in=enterprises).order_by("-year").values_list(
        "year", flat=True).first()
    counts = {
        "enterprises": enterprises.count(),
        "figures": AnnualFigure.objects.filter(enterprise__in=enterprises).count(),
        "latest_year": latest_year,
        "carriers": Carrier.objects.count() if user.is_bureau else None,
        "residents": Residency.objects.filter(enterprise__in=enterprises, end__isnull=True).count(),
        "pending": selectors.submissions_for(user).filter(status="submitted").count(),
    }
    recent_jobs = Job.objects.filter(created_by=user)[:5]
    return render(request, "core/home.html", {"counts": counts, "jobs": recent_jobs})


@login_required
def job_detail(request, pk):
    job = get_object_or_404(Job.objects.filter(created_by=request.user), pk=pk)
    template = "core/_job_status.html" if request.headers.get("HX-Request") else "core/job.html"
    return render(request, template, {"job": job})
